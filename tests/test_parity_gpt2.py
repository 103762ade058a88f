"""Parity of the GPT-2 conversation loss with CRSLab's formula, computed independently: for each example the
backbone reads `context + response` as one unpadded sequence from position 0; the logits are shifted by one, and
the cross-entropy is taken over the response tokens only (the context is not a target), averaged over all response
tokens of the batch, as CRSLab's `CrossEntropyLoss(ignore_index=pad)` over the shifted logits of `GPT2Model.converse`
averages them. The batch is the data layer's layout: contexts right-padded, responses padded with -100."""

import torch
import torch.nn.functional as F

from crs_hf.models.gpt2 import CRSGPT2Config, CRSGPT2ForConversation

CONTEXTS = [[5, 17, 33, 98, 41, 7], [12, 98], [60, 61, 62, 63]]  # 98: the end token, after each utterance
RESPONSES = [[20, 21, 22, 98], [30, 98], [40, 41, 42, 43, 44, 98]]  # each response + its end token


def batch() -> dict:
    width, length = max(map(len, CONTEXTS)), max(map(len, RESPONSES))
    input_ids = torch.tensor([c + [98] * (width - len(c)) for c in CONTEXTS])  # padded with the end token, as GPT-2
    attention_mask = torch.tensor([[1] * len(c) + [0] * (width - len(c)) for c in CONTEXTS])
    labels = torch.tensor([r + [-100] * (length - len(r)) for r in RESPONSES])
    return {"input_ids": input_ids, "attention_mask": attention_mask, "labels": labels}


def model() -> CRSGPT2ForConversation:
    torch.manual_seed(0)
    return CRSGPT2ForConversation(CRSGPT2Config()).eval()


def reference_nll(lm) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """Summed response-token NLL and, per example, the logits scoring its response tokens, from the raw backbone."""
    total, per_example = torch.tensor(0.0), []
    with torch.no_grad():
        for context, response in zip(CONTEXTS, RESPONSES):
            sequence = torch.tensor([context + response])
            logits = lm(sequence).logits[0]  # (len, vocab), positions 0..len-1
            shifted, targets = logits[:-1], sequence[0, 1:]  # logits[i] predicts token i + 1
            is_response = torch.arange(1, sequence.shape[1]) >= len(context)
            total = total + F.cross_entropy(shifted[is_response], targets[is_response], reduction="sum")
            per_example.append(shifted[is_response])
    return total, per_example


def test_loss_and_logits_equal_the_shifted_cross_entropy_over_response_tokens():
    conversation = model()
    inputs = batch()
    with torch.no_grad():
        output = conversation(**inputs)
    total, per_example = reference_nll(conversation.model.lm)
    n_tokens = sum(map(len, RESPONSES))
    torch.testing.assert_close(output.loss, total / n_tokens)
    for row, logits in enumerate(per_example):  # logits[:, t] scores labels[:, t]
        torch.testing.assert_close(output.logits[row, : len(RESPONSES[row])], logits)


def test_gradient_accumulation_divides_the_summed_loss_by_the_tokens_of_the_step():
    conversation = model()
    with torch.no_grad():
        output = conversation(**batch(), num_items_in_batch=2 * sum(map(len, RESPONSES)))
    total, _ = reference_nll(conversation.model.lm)
    torch.testing.assert_close(output.loss, total / (2 * sum(map(len, RESPONSES))))


def test_the_trainers_perplexity_from_logits_and_labels_is_the_token_weighted_one():
    """`CRSTrainer` computes perplexity from the output logits and `labels`: exp of the token-weighted NLL."""
    conversation = model()
    inputs = batch()
    with torch.no_grad():
        logits = conversation(**inputs).logits
    nll = F.cross_entropy(logits.transpose(1, 2), inputs["labels"], reduction="sum")
    total, _ = reference_nll(conversation.model.lm)
    torch.testing.assert_close(nll, total)
