"""The text demo's classifier: the MiniLM-L6 sentence encoder with a linear head, as a transformers model.

`MeanPoolingClassifier` is a ``BertPreTrainedModel``: the encoder's token vectors are averaged over
the attention mask and L2-normalised (how all-MiniLM-L6-v2 was trained to embed sentences), then a
linear layer gives one logit per class. Being a real sequence-classification model, it works with
``transformers.pipeline("text-classification", ...)`` and with ``rw.TextExplainer`` as is.

Imports torch and transformers: `rai_widget.demos.text` imports this module only when a model is built.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from transformers import AutoConfig, AutoModelForSequenceClassification, BertConfig, BertModel, BertPreTrainedModel
from transformers.modeling_outputs import SequenceClassifierOutput


class MeanPoolingConfig(BertConfig):
    """A BERT configuration under its own model type, so transformers' Auto classes and pipelines know the model."""

    model_type = "rai-minilm-mean-pooling"

    @classmethod
    def from_bert(cls, bert: BertConfig, **kwargs) -> MeanPoolingConfig:
        settings = {k: v for k, v in bert.to_dict().items() if k != "model_type"}
        return cls(**{**settings, **kwargs})


class MeanPoolingClassifier(BertPreTrainedModel):
    """BERT encoder -> masked mean of the last hidden states -> L2 normalisation -> linear logits."""

    config_class = MeanPoolingConfig

    def __init__(self, config):
        super().__init__(config)
        self.num_labels = config.num_labels
        self.bert = BertModel(config, add_pooling_layer=False)
        self.classifier = torch.nn.Linear(config.hidden_size, config.num_labels)
        self.post_init()

    def embed(self, input_ids=None, attention_mask=None, token_type_ids=None) -> torch.Tensor:
        """The normalised sentence embeddings (n, hidden_size) the head reads."""
        if attention_mask is None:
            attention_mask = torch.ones_like(input_ids)
        hidden = self.bert(
            input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
        ).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
        return F.normalize(pooled, p=2, dim=-1)

    def forward(self, input_ids=None, attention_mask=None, token_type_ids=None, labels=None, **kwargs):
        logits = self.classifier(self.embed(input_ids, attention_mask, token_type_ids))
        loss = F.cross_entropy(logits, labels) if labels is not None else None
        return SequenceClassifierOutput(loss=loss, logits=logits)


# Without this, pipeline("text-classification", model=...) logs that the model is "not supported".
AutoConfig.register(MeanPoolingConfig.model_type, MeanPoolingConfig, exist_ok=True)
AutoModelForSequenceClassification.register(MeanPoolingConfig, MeanPoolingClassifier, exist_ok=True)
