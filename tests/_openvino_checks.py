"""OpenVINO checks that the tests run in a process of their own: OpenVINO's
thread pool stays in a process once it has run, and the rest of the suite
forks and trains in the test process. Prints one JSON line.

    python tests/_openvino_checks.py ir CONFIG CHECKPOINT IR.xml
    python tests/_openvino_checks.py demo CONFIG CHECKPOINT DATA_ROOT WORK
"""
import json
import os.path as osp
import sys

import numpy as np
import torch

from mmconformer.apis import (OnnxExportWrapper, OpenVINOClassifier,
                              compile_openvino, export_openvino, find_images,
                              load_classifier, onnx_calibration_pixels)

F32 = {'INFERENCE_PRECISION_HINT': 'f32'}


def check_ir(config, checkpoint, xml):
    """The IR's ports, its logits against PyTorch at batches 1 and 3, and
    OpenVINOClassifier's scores against the model's test_step."""
    model = load_classifier(config, checkpoint)
    compiled = compile_openvino(xml, F32)
    (port, ) = compiled.inputs
    wrapper = OnnxExportWrapper(model).eval()
    gen = torch.Generator().manual_seed(1)
    rel = {}
    for batch in (1, 3):
        pixels = torch.rand(batch, 3, 48, 48, generator=gen) * 255
        with torch.no_grad():
            expected = wrapper(pixels).numpy()
        got = compiled(pixels.numpy())[0]
        assert got.shape == expected.shape, (got.shape, expected.shape)
        rel[batch] = float(np.abs(got - expected).max() /
                           np.abs(expected).max())
    deployed = OpenVINOClassifier(model, xml, F32)
    images = [torch.randint(0, 256, (3, 48, 48), dtype=torch.uint8,
                            generator=gen) for _ in range(2)]
    with torch.no_grad():
        expected = model.test_step(dict(inputs=images))
    got = deployed.test_step(dict(inputs=images))
    try:
        deployed(torch.zeros(1, 3, 48, 48), mode='loss')
        refusal = None
    except ValueError as err:
        refusal = str(err)
    return dict(
        input=port.get_any_name(), shape=str(port.get_partial_shape()),
        output=compiled.outputs[0].get_any_name(), max_rel=rel,
        score_diff=max(float((g.pred_score - e.pred_score).abs().max())
                       for g, e in zip(got, expected)),
        labels_agree=all(int(g.pred_label) == int(e.pred_label)
                         for g, e in zip(got, expected)),
        meta_kept=getattr(deployed, 'dataset_meta', None) == getattr(
            model, 'dataset_meta', None), refusal=refusal)


def demo_top1(config, checkpoint, data_root, work):
    """Top-1 on the val images of the fp32 IR and of the NNCF int8 IR
    calibrated on 64 training images."""
    model = load_classifier(config, checkpoint)
    size = (48, 48)
    calibration = onnx_calibration_pixels(
        model, find_images(osp.join(data_root, 'train'), 64), 8, size)
    val = find_images(osp.join(data_root, 'val'))
    classes = sorted({osp.basename(osp.dirname(path)) for path in val})
    labels = np.array([classes.index(osp.basename(osp.dirname(path)))
                       for path in val])
    pixels = np.concatenate([b.numpy() for b in onnx_calibration_pixels(
        model, val, 50, size)])
    top1 = dict(images=len(labels))
    for name, batches in (('fp32', None),
                          ('int8', [b.numpy() for b in calibration])):
        xml = export_openvino(model, osp.join(work, f'{name}.xml'), size,
                              batches)['xml']
        logits = compile_openvino(xml, F32)(pixels)[0]
        top1[name] = 100 * float((logits.argmax(1) == labels).mean())
    return top1


if __name__ == '__main__':
    mode, *args = sys.argv[1:]
    result = check_ir(*args) if mode == 'ir' else demo_top1(*args)
    print(json.dumps(result))
