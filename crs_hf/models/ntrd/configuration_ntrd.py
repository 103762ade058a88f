"""NTRD configuration (Liang et al., "Learning Neural Templates for Recommender Dialogue System", EMNLP 2021)."""

# No `from __future__ import annotations`: @strict checks field types from the evaluated annotations.
from huggingface_hub.dataclasses import strict

from crs_hf.models.kgsf.configuration_kgsf import KGSFConfig
from crs_hf.models.layers.config_checks import check_id_range


@strict
class NTRDConfig(KGSFConfig):
    r"""
    Configuration of an NTRD model: KGSF's knowledge part (an R-GCN over the entity graph and, with
    `use_word_graph`, a GCN over the word graph aligned to it by mutual information, [`NTRDForPretraining`]) and
    recommender ([`NTRDForRecommendation`]), then a template decoder that writes the item placeholder where an item
    goes, and an item selector that fills each placeholder from the item catalogue ([`NTRDForConversation`]).

    Every argument of [`KGSFConfig`] (token and transformer sizes, `n_entity`, `n_relation`, `num_bases`,
    `kg_emb_dim`, `item_ids`, `n_word`, `infomax_weight`, ...) means the same here, with the same defaults
    (CRSLab's `config/crs/ntrd/tgredial.yaml` sets the same sizes as its KGSF configs). NTRD adds:

    Args:
        use_word_graph (`bool`, *optional*, defaults to `True`):
            Encode the word graph (ConceptNet / HowNet) as KGSF does, CRSLab's NTRD. `False` keeps the entity
            graph only: the user vector is the attention-pooled entity vector, there is no pre-training stage (the
            mutual-information objective needs the words), the decoder attends to the context entities and the
            context, and the item selector attends to the context entities instead of the context words (for a
            release without a word graph, e.g. the ReDial files without `conceptnet_subkg.txt`).
        item_token_id (`int`, *optional*):
            The item placeholder token (`"__item__"`) the template decoder writes where an item goes, and whose
            positions the item selector fills. Needed by the conversation head's selection loss and `fill_slots`.
        gen_loss_weight (`float`, *optional*, defaults to 5.0):
            Weight of the token cross-entropy in the conversation loss (CRSLab's `gen_loss_weight`).
        selection_loss_weight (`float`, *optional*, defaults to 1.0):
            Weight of the item selector's cross-entropy in the conversation loss (CRSLab: 1):
            `loss = gen_loss_weight * gen_loss + selection_loss_weight * selection_loss`.

    Examples:

    ```python
    >>> from crs_hf.models.ntrd import NTRDConfig, NTRDForConversation

    >>> configuration = NTRDConfig(vocab_size=100, n_entity=50, n_relation=3, item_ids=[1, 2, 3], item_token_id=4,
    ...                            use_word_graph=False, token_emb_dim=16, ffn_size=16, kg_emb_dim=8)
    >>> model = NTRDForConversation(configuration)
    >>> model.selector.item_output.out_features
    3

    ```"""

    model_type = "crs_ntrd"
    keys_to_ignore_at_inference = [
        *KGSFConfig.keys_to_ignore_at_inference, "slot_logits", "gen_loss", "selection_loss"
    ]

    use_word_graph: bool = True
    item_token_id: int | None = None
    gen_loss_weight: float | int = 5.0
    selection_loss_weight: float | int = 1.0

    def validate_architecture(self):
        """KGSF's checks, plus the placeholder id and the loss weights; each error names the values involved."""
        super().validate_architecture()
        check_id_range(self, ("item_token_id",), "vocab_size")
        if self.item_token_id is not None and self.item_token_id in (self.pad_token_id, self.eos_token_id):
            raise ValueError(f"item_token_id ({self.item_token_id}) must differ from pad_token_id "
                             f"({self.pad_token_id}) and eos_token_id ({self.eos_token_id})")
        if self.gen_loss_weight < 0 or self.selection_loss_weight < 0:
            raise ValueError(f"the loss weights must be >= 0, but got gen_loss_weight={self.gen_loss_weight}, "
                             f"selection_loss_weight={self.selection_loss_weight}")


__all__ = ["NTRDConfig"]
