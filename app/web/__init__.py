"""The web surface of a worker: the JSON API, the live stream, the dashboard,
health, metrics and OpenAPI, and the rules every answer follows."""
