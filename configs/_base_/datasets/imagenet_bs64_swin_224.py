# mmpretrain's ImageNet data (imagenet_bs64_swin_224.py: RandAugment,
# RandomErasing, bicubic resizing), evaluated per branch as well, with the
# loader reading through mmconformer's `checked_image` file backend: an
# empty, truncated or non-image file stops the run with one line naming the
# file and the problem, instead of decoding with a grey bottom or failing
# deep in a traceback. The loader stays the first transform, where
# mmpretrain's Inferencers, mmdeploy, mmdet and mmseg look for it. To skip
# such files instead (a warning names each one and counts them):
#     --cfg-options train_dataloader.dataset.pipeline.0.ignore_empty=True
#         train_dataloader.dataset.pipeline.0.backend_args.skip_unreadable=True
# For remote storage, name its backend inside ours (each file is fetched
# once), e.g. backend_args=dict(backend='checked_image',
# backend_args=dict(backend='petrel')).
_base_ = 'mmpretrain::_base_/datasets/imagenet_bs64_swin_224.py'

train_pipeline = [
    dict(type='LoadImageFromFile', backend_args=dict(backend='checked_image')),
    *_base_.train_pipeline[1:]
]
test_pipeline = [
    dict(type='LoadImageFromFile', backend_args=dict(backend='checked_image')),
    *_base_.test_pipeline[1:]
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
# mmpretrain's top-1 and top-5 of the summed logits (the headline, still
# 'accuracy/top1'), plus each branch's: 'accuracy/conv_top1',
# 'accuracy/trans_top1'...
val_evaluator = dict(type='BranchAccuracy')
test_evaluator = val_evaluator
