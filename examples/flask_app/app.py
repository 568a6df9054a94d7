"""A Flask app whose config is clarity settings: app.config["MODEL_SIGNATURE_KEY"] from SSM or .env.

Run from this directory: ``flask --app app run``. GET /healthz reports health without a single value;
GET /metrics serves the library's metrics as Prometheus text (the ``metrics`` extra); POST
/models/<size>/verify checks that model file against its signed checksum.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask, Response, jsonify
from flask.typing import ResponseReturnValue

from clarity_settings import ModelIntegrityError, SecretsManager, create_settings, verify_model
from clarity_settings.flask import init_app
from clarity_settings.integrity import MODEL_FILES
from clarity_settings.metrics import enable, prometheus


def create_app(**options: Any) -> Flask:
    """The app factory; options go to create_settings() (tests point it at their own files)."""
    app = Flask(__name__)
    enable()  # metrics are off by default (CLARITY_METRICS=true does the same)
    settings = create_settings(**options)
    init_app(app, settings)  # app.config reads this object, refreshed on the TTL
    manager = SecretsManager(settings=settings)

    @app.get("/healthz")
    def healthz() -> ResponseReturnValue:
        health = manager.health_check()
        return jsonify(health), 503 if health["ssm_status"] == "unhealthy" else 200

    @app.get("/metrics")
    def metrics() -> ResponseReturnValue:
        body, content_type = prometheus.exposition()
        return Response(body, content_type=content_type)

    @app.post("/models/<size>/verify")
    def verify(size: str) -> ResponseReturnValue:
        if size not in MODEL_FILES:
            return jsonify({"error": f"unknown model size {size!r}"}), 404
        path = Path(app.config.get("MODEL_DIR", "models")) / MODEL_FILES[size]
        try:
            model = verify_model(path, size, manager=manager)
        except ModelIntegrityError as error:
            return jsonify({"size": size, "verified": False, "error": str(error)}), 409
        return jsonify({"size": size, "verified": True, "sha256": model.sha256, "signed_by": model.signed_by})

    return app
