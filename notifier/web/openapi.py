"""The OpenAPI document of ``notifier serve`` (kept by hand: the API is small and stable)."""

from __future__ import annotations

from typing import Any

_ERROR = {"type": "object", "properties": {"error": {"type": "string"}}, "required": ["error"]}
_NOTICE = {
    "type": "object",
    "required": [
        "id",
        "document",
        "title",
        "version",
        "class",
        "summary",
        "effective_date",
        "links",
        "acknowledgement_required",
        "seen",
        "content_hash",
    ],
    "properties": {
        "id": {"type": "string", "example": "privacy@1.1"},
        "document": {"type": "string"},
        "title": {"type": "string"},
        "version": {"type": "string"},
        "class": {"type": "string", "enum": ["none", "editorial", "material", "initial"]},
        "summary": {"type": "string"},
        "effective_date": {"type": "string", "format": "date"},
        "links": {
            "type": "object",
            "required": ["text", "redline"],
            "properties": {"text": {"type": "string"}, "redline": {"type": "string"}},
        },
        "acknowledgement_required": {"type": "boolean"},
        "seen": {"type": "boolean"},
        "content_hash": {"type": "string"},
    },
}
_UNAUTHORIZED = {
    "description": "Missing, forged, expired or wrong-audience token",
    "content": {"application/json": {"schema": _ERROR}},
}
_MARKED = {
    "type": "object",
    "required": ["id", "recorded"],
    "properties": {"id": {"type": "string"}, "recorded": {"type": "boolean"}},
}


def _mark(kind: str) -> dict[str, Any]:
    return {
        "post": {
            "summary": f"Record that the user {kind} the notice (idempotent: the first is kept)",
            "security": [{"userToken": []}],
            "parameters": [
                {
                    "name": "notice",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string"},
                    "example": "privacy@1.1",
                }
            ],
            "responses": {
                "200": {
                    "description": "Recorded (or already recorded)",
                    "content": {"application/json": {"schema": _MARKED}},
                },
                "401": _UNAUTHORIZED,
                "404": {
                    "description": "No such notice",
                    "content": {"application/json": {"schema": _ERROR}},
                },
            },
        }
    }


OPENAPI: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "policy-notifier", "version": "1"},
    "components": {
        "securitySchemes": {
            "userToken": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
        }
    },
    "paths": {
        "/healthz": {
            "get": {
                "summary": "Liveness",
                "responses": {
                    "200": {
                        "description": "OK",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {"status": {"type": "string"}},
                                }
                            }
                        },
                    }
                },
            }
        },
        "/v1/notices": {
            "get": {
                "summary": "Notices the signed-in user has not acknowledged, material first",
                "security": [{"userToken": []}],
                "responses": {
                    "200": {
                        "description": "The notices",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["notices"],
                                    "properties": {"notices": {"type": "array", "items": _NOTICE}},
                                }
                            }
                        },
                    },
                    "401": _UNAUTHORIZED,
                    "503": {
                        "description": "The ledger cannot be read just now; try again later",
                        "content": {"application/json": {"schema": _ERROR}},
                    },
                },
            }
        },
        "/v1/notices/{notice}/seen": _mark("saw"),
        "/v1/notices/{notice}/acknowledge": _mark("acknowledged"),
    },
}
