def dead_units(model, relu, x):
    outs = []
    h = relu.register_forward_hook(lambda m, i, o: outs.append(o.detach()))
    try:
        model(x)
    finally:
        h.remove()
    out = outs[0]
    return int((out.amax(dim=0) <= 0).sum().item())
