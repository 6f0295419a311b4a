# Copyright (c) mmconformer contributors. All rights reserved.
"""mmengine's CheckpointHook in an order that never leaves a work dir
without a complete checkpoint and a pointer to it."""
import os.path as osp
from typing import List, Optional

from mmengine.dist import is_main_process
from mmengine.hooks import CheckpointHook
from mmpretrain.registry import HOOKS

from ...checkpoint import from_weights_only, to_weights_only
from ...utils import atomic_write

__all__ = ['AtomicCheckpointHook']


class _DeferredRemovals:
    """A file backend whose ``remove`` and ``rmtree`` wait until
    :meth:`flush`; everything else is the wrapped backend's."""

    def __init__(self, backend) -> None:
        self._backend = backend
        self._pending: List[tuple] = []

    def __getattr__(self, name):
        return getattr(self._backend, name)

    def remove(self, path) -> None:
        self._pending.append(('remove', path))

    def rmtree(self, path) -> None:
        self._pending.append(('rmtree', path))

    def flush(self) -> None:
        pending, self._pending = self._pending, []
        for operation, path in pending:
            getattr(self._backend, operation)(path)


@HOOKS.register_module()
class AtomicCheckpointHook(CheckpointHook):
    """mmengine's ``CheckpointHook`` (same arguments, same files), ordered so
    that a kill or a full disk at any moment leaves a complete checkpoint
    that ``last_checkpoint`` names, from which ``--resume`` continues:

    1. the new checkpoint is written through the file backend of
       ``backend_args``, by default ``'atomic_local'``
       (:class:`~mmconformer.engine.AtomicLocalBackend`: a temporary file,
       fsync, rename, fsync the folder);
    2. then ``work_dir/last_checkpoint`` is replaced, atomically;
    3. only then are the checkpoints it replaces removed: the oldest one
       beyond ``max_keep_ckpts``, and the previous best of ``save_best``.

    mmengine's own hook removes the oldest checkpoint before it writes the
    new one and writes both in place: with ``max_keep_ckpts=1``, a kill in
    the middle of a save leaves no complete checkpoint and a pointer to a
    deleted file.

    Args:
        backend_args (dict, optional): As mmengine's. Defaults to None:
            ``dict(backend='atomic_local')``.
        **kwargs: mmengine's ``CheckpointHook`` arguments.
    """

    def __init__(self, *args, backend_args: Optional[dict] = None,
                 **kwargs) -> None:
        super().__init__(
            *args,
            backend_args=backend_args or dict(backend='atomic_local'),
            **kwargs)

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        """Store the message hub's buffers and numpy values as plain
        containers, so that any weights-only ``torch.load`` (mmpretrain's
        tools on torch >= 2.6) reads the checkpoint
        (:func:`~mmconformer.checkpoint.to_weights_only`)."""
        checkpoint.update(to_weights_only(checkpoint))

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        """Restore them for ``--resume``."""
        checkpoint.update(from_weights_only(checkpoint))

    def before_train(self, runner) -> None:
        super().before_train(runner)
        self.file_backend = _DeferredRemovals(self.file_backend)

    def after_val_epoch(self, runner, metrics) -> None:
        super().after_val_epoch(runner, metrics)
        # the previous best, once the new best is complete
        self.file_backend.flush()

    def _save_checkpoint_with_step(self, runner, step, meta) -> None:
        if self.max_keep_ckpts > 0 and not (self.keep_ckpt_ids and
                                            self.keep_ckpt_ids[-1] == step):
            if len(self.keep_ckpt_ids) == self.max_keep_ckpts:
                oldest = self.keep_ckpt_ids.popleft()
                if is_main_process():
                    path = self.file_backend.join_path(
                        self.out_dir, self.filename_tmpl.format(oldest))
                    if self.file_backend.isfile(path):
                        self.file_backend.remove(path)
                    elif self.file_backend.isdir(path):
                        self.file_backend.rmtree(path)
            self.keep_ckpt_ids.append(step)
            runner.message_hub.update_info('keep_ckpt_ids',
                                           list(self.keep_ckpt_ids))
        ckpt_filename = self.filename_tmpl.format(step)
        self.last_ckpt = self.file_backend.join_path(self.out_dir,
                                                     ckpt_filename)
        runner.message_hub.update_info('last_ckpt', self.last_ckpt)
        runner.save_checkpoint(
            self.out_dir,
            ckpt_filename,
            self.file_client_args,
            save_optimizer=self.save_optimizer,
            save_param_scheduler=self.save_param_scheduler,
            meta=meta,
            by_epoch=self.by_epoch,
            backend_args=self.backend_args,
            **self.args)
        if not is_main_process():
            return
        with atomic_write(osp.join(runner.work_dir, 'last_checkpoint'),
                          'w') as f:
            f.write(self.last_ckpt)
        self.file_backend.flush()
