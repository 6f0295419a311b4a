# As classification_onnxruntime_static.py, with a dynamic batch, height and
# width (mmdeploy's configs/mmpretrain/classification_onnxruntime_dynamic.py).
_base_ = ['./classification_onnxruntime_static.py']

onnx_config = dict(
    dynamic_axes={
        'input': {0: 'batch', 2: 'height', 3: 'width'},
        'output': {0: 'batch'}
    })
