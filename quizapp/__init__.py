"""quizapp: practise PyTorch interview questions, graded by running real PyTorch code."""

__version__ = "0.1.0"
