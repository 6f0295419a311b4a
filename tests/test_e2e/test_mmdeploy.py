"""Our classifier through mmdeploy, OpenMMLab's deployment tool: its
mmpretrain codebase exports it to ONNX at its default opset 11 with the deploy
configs of configs/mmdeploy/, and its task processor runs the result in ONNX
Runtime, agreeing with PyTorch, for image files and for images in memory."""
import functools
from pathlib import Path

import mmcv
import onnx
import pytest
import torch
from _helpers import CONFIG_DIR
from _training import tiny_classifier_files

# plain_clone: mmdeploy runs on mmcv-lite, as a user installs it
pytestmark = pytest.mark.plain_clone

pytest.importorskip('mmdeploy', reason='mmdeploy is not installed (make '
                    'install installs it, see requirements/mmdeploy.txt)')

DEPLOY_DIR = Path(CONFIG_DIR) / 'mmdeploy'


@pytest.fixture
def legacy_onnx_exporter(monkeypatch):
    """mmdeploy 1.3.1 calls ``torch.onnx.export`` without ``dynamo=``; since
    torch 2.9 that means the torch.export-based exporter, which cannot take
    mmdeploy's wrapped forward. Neither library has a setting for it, so this
    test (and only this test) passes ``dynamo=False``, as
    docs/en/deployment.md tells a user to."""
    monkeypatch.setattr(torch.onnx, 'export',
                        functools.partial(torch.onnx.export, dynamo=False))


@pytest.fixture(scope='module')
def classifier(tmp_path_factory):
    files = tiny_classifier_files(tmp_path_factory.mktemp('mmdeploy'))
    return dict(files, images=sorted(
        str(p) for p in (files['data'] / 'val').rglob('*.png')))


@pytest.mark.parametrize('given', ['path', 'array'])
@pytest.mark.parametrize('deploy', ['static', 'dynamic'])
def test_mmdeploy_onnxruntime_agrees_with_pytorch(classifier, deploy, given,
                                                  legacy_onnx_exporter):
    """mmdeploy drops our loader (pipeline[0]) for an image in memory and
    keeps it, without adding a second, for a file."""
    from mmdeploy.apis import torch2onnx
    from mmdeploy.apis.utils import build_task_processor
    from mmdeploy.utils import get_input_shape, load_config

    from mmconformer.apis import load_classifier
    deploy_cfg_path = str(DEPLOY_DIR /
                          f'classification_onnxruntime_{deploy}.py')
    work_dir = classifier['tmp'] / f'{deploy}-{given}'

    def as_given(paths):
        # an array as mmcv's loader decodes the file: BGR, uint8
        return list(paths) if given == 'path' else \
            [mmcv.imread(path) for path in paths]

    image = as_given(classifier['images'][:1])[0]
    torch2onnx(image, str(work_dir), 'end2end.onnx', deploy_cfg_path,
               classifier['config'], classifier['ckpt'], device='cpu')
    onnx_file = work_dir / 'end2end.onnx'
    graph = onnx.load(str(onnx_file))
    assert [o.version for o in graph.opset_import
            if o.domain in ('', 'ai.onnx')] == [11]
    deploy_cfg, model_cfg = load_config(deploy_cfg_path, classifier['config'])
    processor = build_task_processor(model_cfg, deploy_cfg, 'cpu')
    backend_model = processor.build_backend_model([str(onnx_file)])
    pytorch_model = load_classifier(classifier['config'], classifier['ckpt'])
    # the dynamic export runs a batch of two other images than the traced one
    paths = classifier['images'][:1] if deploy == 'static' else \
        classifier['images'][1:3]
    images = as_given(paths)
    inputs, _ = processor.create_input(images, get_input_shape(deploy_cfg))
    # the same pixels whichever way the image is given
    from_paths, _ = processor.create_input(paths, get_input_shape(deploy_cfg))
    for got, want in zip(inputs['inputs'], from_paths['inputs']):
        assert torch.equal(got, want)
    pipeline = [t['type'] for t in processor.model_cfg.test_pipeline]
    from mmdeploy.codebase.mmpretrain.deploy.classification import \
        process_model_config
    processed = [t['type'] for t in process_model_config(
        processor.model_cfg, images).test_pipeline]
    assert pipeline[0] == 'LoadImageFromFile'
    assert processed == (pipeline if given == 'path' else pipeline[1:])
    with torch.no_grad():
        deployed = backend_model.test_step(inputs)
        expected = pytorch_model.test_step(inputs)
    assert len(deployed) == len(images)
    for got, want in zip(deployed, expected):
        # softmax of the summed logits of both branches
        assert got.pred_score.shape == (6, )
        assert float(want.pred_score.max() - want.pred_score.min()) > 0.05
        torch.testing.assert_close(got.pred_score, want.pred_score,
                                   rtol=0, atol=1e-5)
        assert int(got.pred_label) == int(want.pred_label)
    # mmdeploy's one-call API, on one image given the same way
    from mmdeploy.apis import inference_model
    (result, ) = inference_model(classifier['config'], deploy_cfg_path,
                                 [str(onnx_file)], images[0], 'cpu')
    torch.testing.assert_close(result.pred_score, expected[0].pred_score,
                               rtol=0, atol=1e-5)
