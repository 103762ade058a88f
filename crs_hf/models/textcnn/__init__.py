"""TextCNN: convolutions over the context tokens, max-pooled, scoring the item catalogue with a linear layer."""

from crs_hf import citations
from crs_hf.models.contract import CRSHead, CRSModelSpec

from .configuration_textcnn import TextCNNConfig
from .modeling_textcnn import TextCNNForRecommendation, TextCNNModel, TextCNNPreTrainedModel

CRS_MODEL = CRSModelSpec(
    config_class=TextCNNConfig,
    base_model_class=TextCNNModel,
    heads=(
        CRSHead("rec", TextCNNForRecommendation, inputs=("context_tokens",), side_data=("vocabulary", "items")),
    ),
    name="TextCNN (Kim, EMNLP 2014)",
    citation=citations.TEXTCNN,
    summary="max-pooled convolutions of widths 2, 3, 4 over the context tokens; a linear layer over the catalogue",
    differences_from_crslab=(
        "the token embedding has `vocab_size` rows; CRSLab's `textcnn.py` sized it `vocab['n_entity']` (the number "
        "of KG entities) while indexing it with token ids, which fails or wastes rows unless the two happen to fit",
        "items are scored over the catalogue (`n_items` outputs, labels are catalogue positions) instead of every "
        "entity, CRSLab's training target (it ranked only the catalogue at evaluation)",
        "windows that touch padding are left out of the max-pool, so a context's scores do not depend on how much "
        "its batch is padded; CRSLab max-pooled over the padded batch (the padding token's learned embedding "
        "included), and failed on batches shorter than the widest filter",
        "the convolutions are `Conv1d(embedding_dim, num_filters, k)` (weights `(num_filters, embedding_dim, k)`), "
        "the same maps as CRSLab's `Conv2d(1, num_filters, (k, embed))`, with weights stored transposed",
    ),
)

__all__ = ["CRS_MODEL", "TextCNNConfig", "TextCNNForRecommendation", "TextCNNModel", "TextCNNPreTrainedModel"]
