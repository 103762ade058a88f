"""crs_hf's models as transformers models, registered with the Auto classes on import.

`import crs_hf` imports this package, so `AutoConfig` / `AutoModel` (and each head's task Auto class, e.g.
`AutoModelForSeq2SeqLM` for the conversation heads) resolve every `crs_*` model type. Each model lives in its
own folder (`configuration_<name>.py` + `modeling_<name>.py`, importing the layers written once in
`crs_hf.models.layers`) whose `__init__.py` declares its contract, `CRS_MODEL` (a `CRSModelSpec`: heads, inputs,
side data, model-card facts; see `crs_hf.models.contract`). Adding a model is adding its folder and one line to
`MODEL_FOLDERS`.
"""

from importlib import import_module

from transformers import AutoConfig, AutoModel

from .contract import CRSHead, CRSModelSpec
from .kbrd import KBRDConfig, KBRDForConversation, KBRDForRecommendation, KBRDModel, KBRDPreTrainedModel
from .kgsf import (
    KGSFConfig,
    KGSFForConversation,
    KGSFForPretraining,
    KGSFForRecommendation,
    KGSFModel,
    KGSFPreTrainedModel,
)
from .redial import ReDialConfig, ReDialForConversation, ReDialForRecommendation, ReDialModel, ReDialPreTrainedModel

MODEL_FOLDERS = (  # one line per model: the folder under crs_hf/models whose __init__.py declares CRS_MODEL
    "bert",
    "kbrd",
    "kgsf",
    "redial",
    "rgcn",
    "textcnn",
    "popularity",
    "context_copy",
    "gru4rec",
    "sasrec",
    "retrieval",
    "transformer",
    "hred",
    "ntrd",
    "gpt2",
    "inspired",
)


def register(spec: CRSModelSpec) -> None:
    """Registers a model's config with `AutoConfig`, its base model with `AutoModel` and each head with its task
    Auto class."""
    AutoConfig.register(spec.model_type, spec.config_class, exist_ok=True)
    AutoModel.register(spec.config_class, spec.base_model_class, exist_ok=True)
    for head in spec.heads:
        if head.auto_class is not None:
            head.auto_class.register(spec.config_class, head.model_class, exist_ok=True)


CRS_MODELS: dict[str, CRSModelSpec] = {}
for _folder in MODEL_FOLDERS:
    _spec = import_module(f".{_folder}", __name__).CRS_MODEL
    register(_spec)
    CRS_MODELS[_spec.model_type] = _spec
del _folder, _spec


def get_model_spec(model_type: str) -> CRSModelSpec:
    """The contract of `model_type` (e.g. `"crs_kbrd"`); a `CRSHFError` lists the known ones."""
    from crs_hf.errors import CRSHFError

    if model_type not in CRS_MODELS:
        raise CRSHFError(f"unknown model_type {model_type!r}; crs_hf has {', '.join(sorted(CRS_MODELS))}")
    return CRS_MODELS[model_type]


__all__ = [
    "CRS_MODELS",
    "MODEL_FOLDERS",
    "CRSHead",
    "CRSModelSpec",
    "KBRDConfig",
    "KBRDForConversation",
    "KBRDForRecommendation",
    "KBRDModel",
    "KBRDPreTrainedModel",
    "KGSFConfig",
    "KGSFForConversation",
    "KGSFForPretraining",
    "KGSFForRecommendation",
    "KGSFModel",
    "KGSFPreTrainedModel",
    "ReDialConfig",
    "ReDialForConversation",
    "ReDialForRecommendation",
    "ReDialModel",
    "ReDialPreTrainedModel",
    "get_model_spec",
    "register",
]
