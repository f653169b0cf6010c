"""The Textual front end. Build it with `quizapp.tui.app.create_app(service)`."""
