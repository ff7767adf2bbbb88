class SnapshotApp:
    def __init__(self, app):  # noqa: ANN001
        self.app = app

    def __call__(self, environ, start_response):  # noqa: ANN001
        return self.app(environ, start_response)
