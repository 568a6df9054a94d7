"""A plain script, no framework: read the secrets, report health, verify the model files.

``python app.py [MODEL_DIR]`` exits 0 when every model verifies and 1 otherwise.
"""

from __future__ import annotations

import json
import sys

from clarity_settings import ModelSetIntegrityError, get_secrets_manager, settings, verify_models


def main(model_dir: str) -> int:
    """Print health and one line per model; the key itself is never printed."""
    manager = get_secrets_manager()
    print(json.dumps(manager.health_check(), indent=2))
    print(f"signature key configured: {bool(settings.MODEL_SIGNATURE_KEY)}")
    print(f"checksums configured: {len(manager.get_model_checksums())} models")
    try:
        results = verify_models(model_dir, manager=manager)
    except ModelSetIntegrityError as error:
        for size, outcome in error.results.items():
            print(f"{size}: {outcome if isinstance(outcome, Exception) else 'verified'}")
        return 1
    for size, model in results.items():
        print(f"{size}: verified ({model.path.name}, key {model.signed_by})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else str(settings.get("MODEL_DIR", "models"))))
