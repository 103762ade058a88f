"""NTRD: KGSF's knowledge part and recommender, a template decoder that writes an item placeholder where an item
goes, and an item selector that fills it."""

from transformers import AutoModelForSeq2SeqLM

from crs_hf import citations
from crs_hf.models.contract import CRSHead, CRSModelSpec

from .configuration_ntrd import NTRDConfig
from .modeling_ntrd import (
    NTRDForConversation,
    NTRDForPretraining,
    NTRDForRecommendation,
    NTRDModel,
    NTRDPreTrainedModel,
)

# The word graph is used with `use_word_graph` (the default, CRSLab's). Only the pretrain head declares it: the
# script hands a graph to a model it builds from scratch, and the rec and conv stages start from the previous
# stage's checkpoint, whose buffers hold the graph. So a release without a word graph trains rec -> conv with
# `use_word_graph=false`, and one with it pretrain -> rec -> conv.
CRS_MODEL = CRSModelSpec(
    config_class=NTRDConfig,
    base_model_class=NTRDModel,
    heads=(
        CRSHead("pretrain", NTRDForPretraining, inputs=("context_entities", "context_words"),
                side_data=("entity_kg", "word_kg")),
        CRSHead("rec", NTRDForRecommendation, inputs=("context_entities",), optional_inputs=("context_words",),
                side_data=("entity_kg", "items")),
        CRSHead("conv", NTRDForConversation,
                inputs=("context_tokens", "context_entities", "response_tokens", "response_items"),
                optional_inputs=("context_words",), side_data=("entity_kg", "items", "vocabulary", "copy_mask"),
                auto_class=AutoModelForSeq2SeqLM, item_placeholder="__item__"),
    ),
    name="NTRD (Liang et al., EMNLP 2021)",
    citation=citations.NTRD,
    summary="KGSF's graphs and recommender; a template decoder writing an item placeholder, and an item selector "
            "that fills it from the catalogue",
    differences_from_crslab=(
        "sizes come from the data: the item placeholder is a token of the release's vocabulary (added where "
        "absent) and the selector scores the item catalogue; CRSLab hard-coded the placeholder's id (30000, "
        "`response == 30000`) and 64362 selector classes (the size of ReDial's entity2id), so on any other "
        "vocabulary its per-batch assertion failed for every turn that mentions an item",
        "the k-th placeholder of a response is paired with the k-th item of `response_item_positions`; a slot "
        "whose item is unknown (a movie outside the KG) stays a placeholder in the template loss and is left out "
        "of the selection loss; CRSLab skipped every batch without a placeholder, its template loss included",
        "`fill_slots` gives each generated placeholder the selector's best item, replaced by the recommender's "
        "best-ranked unused item where it would repeat one in the same response; CRSLab took the selector's "
        "argmax per slot, repeats included",
        "conversation metrics compare generated templates with templated references (the placeholder kept, as "
        "for ReDial's item switch); CRSLab filled both with item names before scoring",
        "`use_word_graph=False` runs NTRD without a word graph (no pre-training stage; the selector attends to the "
        "context entities instead of the context words; the copy head's word-user input is zero)",
        "as in crs_hf's KGSF: the decoder's and the selector's attention masks keep the valid positions (CRSLab "
        "passed the padding masks), the KG memories are projected to `token_emb_dim` (not `ffn_size`), the "
        "template loss covers the response and its end token but no start token, a context without entities or "
        "words gives a zero user vector, and items are scored over the catalogue",
        "`generate()` decodes with a KV cache (greedy, beam, sampling); CRSLab re-ran the whole prefix per token, "
        "greedy only",
    ),
)

__all__ = [
    "CRS_MODEL",
    "NTRDConfig",
    "NTRDForConversation",
    "NTRDForPretraining",
    "NTRDForRecommendation",
    "NTRDModel",
    "NTRDPreTrainedModel",
]
