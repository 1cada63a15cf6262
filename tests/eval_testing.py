"""What the eval-text and clean-variant tests share: hand-written raw examples for TFDS's mock
data, whose texts are real lines of pages (`decontam_testing.eval_examples`)."""

from __future__ import annotations

import tensorflow as tf

from decontam_testing import eval_examples

# Hand-written raw examples by "builder/config", typed by the builders' own feature specs; the
# mock serves the same examples for every split. RTE's sentences are real lines (eval_examples).
LONG = [text for _, _, text in eval_examples()[1::2]]
SHORT = [text for _, _, text in eval_examples()[0::2]]
HAND = {
    "glue/rte": [
        {"sentence1": LONG[0], "sentence2": SHORT[0], "label": 0, "idx": 41},
        {"sentence1": LONG[1], "sentence2": "Too short.", "label": 1, "idx": 7},
    ],
    "super_glue/record": [
        {
            "passage": LONG[2],
            "query": "A @placeholder is a bird.",
            "entities": ["penguin", "potato"],
            "answers": ["penguin"],
            "idx": {"passage": 3, "query": 9},
        },
        {
            "passage": LONG[3],
            "query": SHORT[1],
            "entities": [],
            "answers": [],
            "idx": {"passage": 3, "query": 10},
        },
    ],
}


def hand_as_dataset(self, split, **kwargs):
    """`as_dataset_fn` for `tfds.testing.mock_data`: HAND's examples, typed by the builder."""
    del split, kwargs
    examples = HAND[f"{self.name}/{self.builder_config.name}"]
    spec = self.info.features.get_tensor_spec()
    return tf.data.Dataset.from_generator(lambda: iter(examples), output_signature=spec)
