"""What a training run writes and measures while it trains (process 0 only): metrics.jsonl
(every step), log.jsonl and TensorBoard scalars (every `log_every` steps and every evaluation),
a progress line with loss, accuracy, tokens/s, MFU and ETA, and the periodic evaluation
(validation loss with teacher forcing, then each task's own metrics through seqio's Evaluator
with the configured decoding), as t5x's trainer reports them.
"""

from __future__ import annotations

import json
import os
import sys
import time

# ---------------------------------------------------------------------------------------------
# Reports: metrics.jsonl, log.jsonl, TensorBoard and a progress line (process 0 only).


class RunReporter:
    """The methods of c4forge.model.training_loop.Reporter (duck-typed: no JAX at import)."""

    def __init__(self, run_dir: str, total_steps: int, start_step: int, enabled: bool):
        self.enabled, self.total, self.start = enabled, total_steps, start_step
        self.run_dir = run_dir
        self._tty = sys.stderr.isatty()
        self._writer = None
        if enabled:
            _truncate_metrics(os.path.join(run_dir, "metrics.jsonl"), start_step)
            import tensorflow as tf

            self._writer = tf.summary.create_file_writer(os.path.join(run_dir, "tensorboard"))

    def _append(self, name: str, row: dict) -> None:
        with open(os.path.join(self.run_dir, name), "a") as f:
            f.write(json.dumps(row) + "\n")

    def _scalars(self, step: int, scalars: dict, prefix: str) -> None:
        import tensorflow as tf

        with self._writer.as_default(step=step):
            for key, value in scalars.items():
                tf.summary.scalar(prefix + key, value)
        self._writer.flush()

    def step(self, step: int, metrics: dict) -> None:
        if self.enabled:
            self._append("metrics.jsonl", {"step": step, **metrics})

    def log(self, step: int, scalars: dict) -> None:
        if not self.enabled:
            return
        self._append("log.jsonl", {"step": step, **scalars})
        self._scalars(step, scalars, "train/")
        self._progress(step, scalars)

    def eval(self, step: int, scalars: dict) -> None:
        if not self.enabled or not scalars:
            return
        self._append("log.jsonl", {"step": step, "eval": True, **scalars})
        self._scalars(step, scalars, "eval/")
        shown = "  ".join(f"{k} {v:.4g}" for k, v in scalars.items())
        self._line(f"eval at step {step}: {shown}", final=True)

    def checkpoint(self, step: int, seconds: float) -> None:
        if self.enabled and not self._tty:
            print(f"checkpoint {step} saved in {seconds:.1f}s", file=sys.stderr)

    def _progress(self, step: int, s: dict) -> None:
        width = 24
        done = int(width * step / self.total)
        bar = "#" * done + "." * (width - done)
        text = f"[{bar}] step {step}/{self.total}  loss {s['loss_per_token']:.4f}"
        text += f"  acc {s['accuracy']:.3f}"
        if "tokens_per_second" in s:
            text += f"  {s['tokens_per_second']:,.0f} tok/s"
            text += f"  MFU {100 * s['mfu']:.1f}%" if "mfu" in s else "  MFU n/a"
            eta = (self.total - step) * s["step_seconds"]
            text += f"  eta {time.strftime('%H:%M:%S', time.gmtime(eta))}"
        self._line(text, final=step == self.total)

    def _line(self, text: str, final: bool) -> None:
        if self._tty:
            end = "\n" if final else ""
            print("\r" + text.ljust(100), end=end, file=sys.stderr, flush=True)
        else:
            print(text, file=sys.stderr, flush=True)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()


def _truncate_metrics(path: str, start_step: int) -> None:
    # A resumed run re-trains the steps after its checkpoint: drop their old lines.
    if not os.path.exists(path):
        return
    with open(path) as f:
        keep = [line for line in f if json.loads(line)["step"] <= start_step]
    with open(path, "w") as f:
        f.writelines(keep)


# ---------------------------------------------------------------------------------------------
# Evaluation: validation loss on the eval mixture, and the tasks' own metrics with decoding.


def make_evaluate(trainer, settings: dict, model, train, shard: tuple[int, int]):
    import jax
    import seqio

    from c4forge.model.decoding import make_predict_fn
    from c4forge.tasks import evaluation
    from c4forge.tasks.feed import Feed

    name = settings["eval_mixture"]
    provider = seqio.get_mixture_or_task(name)
    tasks = provider.tasks if isinstance(provider, seqio.Mixture) else [provider]
    scored = [
        t.name
        for t in tasks
        if "validation" in t.splits and (t.predict_metric_fns or t.predict_with_aux_metric_fns)
    ]
    host_batch = train.batch_size // shard[1]
    skipped: list[bool] = []

    def evaluate(params, step: int) -> dict[str, float]:
        del step
        out: dict[str, float] = {}
        if train.eval_batches:
            try:
                feed = Feed(
                    name,
                    train.lengths,
                    host_batch,
                    split="validation",
                    seed=train.seed,
                    shard_index=shard[0],
                    shard_count=shard[1],
                    features=model.feature_kind,
                )
            except ValueError:  # no task with a validation split
                feed = None
            try:
                losses = trainer.validation_loss(params, feed, train.eval_batches) if feed else {}
            except ValueError as e:  # e.g. an empty validation split: say so once, go on
                if not skipped:
                    print(f"c4forge train: validation loss skipped: {e}", file=sys.stderr)
                skipped.append(True)
                losses = {}
            out.update({f"validation_{k}": v for k, v in losses.items()})
        if train.eval_examples and scored and jax.process_count() == 1:
            predict_fn = make_predict_fn(
                params,
                model,
                max_decode_length=train.targets_length,
                method=train.decode,
                beam_size=train.beam_size,
                seed=train.seed,
            )
            for task in scored:
                results = evaluation.evaluate(
                    task,
                    predict_fn,
                    feature_lengths=train.lengths,
                    num_examples=train.eval_examples,
                    batch_size=min(host_batch, 32),
                )
                for metric, value in results.get(task, {}).items():
                    if isinstance(value, float):
                        out[f"{task}/{metric}"] = value
        return out

    return evaluate
