# Your own images, in the folder layout of mmpretrain's CustomDataset (one
# folder per class; the class names are the folder names, sorted):
#     <data_root>/train/<class>/*.jpg
#     <data_root>/val/<class>/*.jpg
# Otherwise the ImageNet data settings (normalisation, the checked loader,
# per-branch accuracy): the pipelines are ImageNet's without RandAugment and
# RandomErasing, and only top-1 is reported (top-5 means little, or nothing,
# with few classes). A config that sets its own `data_root` or pipelines
# passes them to the loaders again:
#     train_dataloader = dict(dataset=dict(data_root=data_root,
#                                          pipeline=train_pipeline))
_base_ = ['./imagenet_bs64_swin_224.py']

data_root = 'data/my_dataset'

train_pipeline = [
    dict(type='LoadImageFromFile', backend_args=dict(backend='checked_image')),
    dict(type='RandomResizedCrop', scale=224, backend='pillow',
         interpolation='bicubic'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = _base_.test_pipeline

train_dataloader = dict(batch_size=32, num_workers=4, dataset=dict(
    _delete_=True, type='CustomDataset', data_root=data_root,
    data_prefix='train', pipeline=train_pipeline))
val_dataloader = dict(batch_size=64, num_workers=4, dataset=dict(
    _delete_=True, type='CustomDataset', data_root=data_root,
    data_prefix='val', pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(topk=(1, ))
test_evaluator = val_evaluator
