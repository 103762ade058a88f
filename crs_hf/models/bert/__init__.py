"""BERT: a pretrained text encoder over the context subwords, its pooled output scoring the item catalogue."""

from crs_hf import citations
from crs_hf.models.contract import CRSHead, CRSModelSpec

from .configuration_bert import CRSBertConfig
from .modeling_bert import CRSBertForRecommendation, CRSBertModel, CRSBertPreTrainedModel

CRS_MODEL = CRSModelSpec(
    config_class=CRSBertConfig,
    base_model_class=CRSBertModel,
    heads=(
        CRSHead("rec", CRSBertForRecommendation, inputs=("context_subwords",), side_data=("backbone", "items")),
    ),
    name="BERT (Devlin et al., NAACL 2019)",
    citation=citations.BERT,
    summary="a pretrained encoder's pooled [CLS] vector over the context, and a linear layer over the catalogue",
    differences_from_crslab=(
        "any `AutoModel` encoder can be the backbone (`set_backbone(name_or_path)`), where CRSLab loaded "
        "`BertModel` from its own bert_en / bert_zh downloads; `pooling='first_token'` serves encoders without a "
        "pooler (CRSLab's `pooler_output` is the default)",
        "a saved model holds the backbone's config (`encoder_config`) and rebuilds from it without the backbone's "
        "files",
        "items are scored over the catalogue (`n_items` outputs, labels are catalogue positions) instead of every "
        "entity, CRSLab's training target (it ranked only the catalogue at evaluation)",
        "one learning rate for the whole model unless the training recipe sets otherwise; CRSLab trained the BERT "
        "weights at `lr_bert` (1e-5) and the output layer at `lr` (1e-3)",
    ),
)

__all__ = ["CRS_MODEL", "CRSBertConfig", "CRSBertForRecommendation", "CRSBertModel", "CRSBertPreTrainedModel"]
