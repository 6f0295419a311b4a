# A downstream project's config: it inherits mmconformer's Mask R-CNN config
# by path (mmengine 0.10.7 refuses `mmconformer::`) and changes only the
# dataset and the number of classes.
_base_ = ['../mask-rcnn_conformer-small-p32_fpn_1x_coco.py']

classes = ('person', 'car', 'bicycle')
data_root = 'data/my_dataset/'

model = dict(
    roi_head=dict(
        bbox_head=dict(num_classes=len(classes)),
        mask_head=dict(num_classes=len(classes))))

train_dataloader = dict(
    dataset=dict(
        data_root=data_root,
        metainfo=dict(classes=classes),
        ann_file='annotations/train.json',
        data_prefix=dict(img='train/')))
val_dataloader = dict(
    dataset=dict(
        data_root=data_root,
        metainfo=dict(classes=classes),
        ann_file='annotations/val.json',
        data_prefix=dict(img='val/')))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root + 'annotations/val.json')
test_evaluator = val_evaluator
