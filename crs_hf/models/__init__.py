"""CRS models as transformers models: KBRD, KGSF and ReDial, registered with the Auto classes on import.

`import crs_hf` imports this package, so `AutoConfig.from_pretrained` / `AutoModel.from_pretrained` /
`AutoModelForSeq2SeqLM.from_pretrained` resolve the `crs_*` model types. Each model lives in its own folder
(`configuration_<name>.py` + `modeling_<name>.py`, self-contained so that a checkpoint saved after
`register_for_auto_class()` loads with `trust_remote_code=True`); the layers they share are written once in
`crs_hf.models.layers` and copied into each modeling file under `# Copied from` markers (see `check_copies`).

| model type   | AutoModel   | AutoModelForSeq2SeqLM   | other heads                                  |
|--------------|-------------|-------------------------|----------------------------------------------|
| `crs_kbrd`   | KBRDModel   | KBRDForConversation     | KBRDForRecommendation                        |
| `crs_kgsf`   | KGSFModel   | KGSFForConversation     | KGSFForPretraining, KGSFForRecommendation    |
| `crs_redial` | ReDialModel | ReDialForConversation   | ReDialForRecommendation                      |
"""

from transformers import AutoConfig, AutoModel, AutoModelForSeq2SeqLM

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

for _config, _model, _conversation in (
    (KBRDConfig, KBRDModel, KBRDForConversation),
    (KGSFConfig, KGSFModel, KGSFForConversation),
    (ReDialConfig, ReDialModel, ReDialForConversation),
):
    AutoConfig.register(_config.model_type, _config, exist_ok=True)
    AutoModel.register(_config, _model, exist_ok=True)
    AutoModelForSeq2SeqLM.register(_config, _conversation, exist_ok=True)
del _config, _model, _conversation

__all__ = [
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
]
