# mmdeploy 1.3.1: a Conformer classifier of ours through mmdeploy's mmpretrain
# codebase into ONNX Runtime, with a static input of the size the model
# config tests at (input_shape=None), at mmdeploy's default opset 11. The
# same settings as mmdeploy's own configs/mmpretrain/
# classification_onnxruntime_static.py, written out in one file.
onnx_config = dict(
    type='onnx',
    export_params=True,
    keep_initializers_as_inputs=False,
    opset_version=11,
    save_file='end2end.onnx',
    input_names=['input'],
    output_names=['output'],
    input_shape=None,
    optimize=True)
codebase_config = dict(type='mmpretrain', task='Classification')
backend_config = dict(type='onnxruntime')
