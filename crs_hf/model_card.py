"""Model cards rendered from the Jinja templates in `model_cards/` (installed as `crs_hf.model_cards`)."""

from __future__ import annotations

from importlib import resources
from typing import Any

from huggingface_hub import ModelCard, ModelCardData

__all__ = ["render_model_card"]


def render_model_card(template: str, card_data: ModelCardData, **fields: Any) -> ModelCard:
    """Renders `model_cards/<template>.md` with `card_data` (the YAML header) and the template's `fields`."""
    path = resources.files("crs_hf.model_cards") / f"{template}.md"
    if not path.is_file():
        raise FileNotFoundError(f"no model card template {template!r} in crs_hf.model_cards")
    return ModelCard.from_template(card_data, template_str=path.read_text(encoding="utf-8"), **fields)
