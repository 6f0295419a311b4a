"""tools/analysis_tools/get_flops.py, called in this process (its main()):
a subprocess per arch would spend most of its time importing mmpretrain."""
import os.path as osp

import pytest
from _helpers import CONFIG_DIR, call_main, load_tool

TOOL = load_tool('analysis_tools/get_flops.py')
TINY = osp.join(CONFIG_DIR, 'conformer-tiny-p16_8xb128_in1k.py')
# Published FLOPs (mmpretrain metafile) and params.
PUBLISHED = {
    'tiny-p16': (4_899_611_328, 23_524_704),
    'small-p32': (7_087_281_792, 38_853_072),
    'small-p16': (10_311_309_312, 37_673_424),
    'base-p16': (22_892_078_080, 83_289_136),
}


def run(capsys, *args):
    code, out, err = call_main(TOOL, capsys, *args)
    assert code == 0, err
    return out


def value(stdout, prefix):
    line = next(line for line in stdout.splitlines()
                if line.startswith(prefix))
    return int(line.split(':', 1)[1].split('(')[0].replace(',', ''))


@pytest.mark.slow
@pytest.mark.parametrize('name', list(PUBLISHED))
def test_flops_within_one_percent_of_published(name, capsys):
    out = run(capsys, osp.join(CONFIG_DIR, f'conformer-{name}_8xb128_in1k.py'))
    flops = value(out, 'FLOPs (mmengine.analysis')
    published, params = PUBLISHED[name]
    assert abs(flops - published) / published < 0.01
    assert value(out, 'Params:') == params
    attention = value(out, 'Attention matmuls')
    # 2 * N^2 * D per transformer layer, 12 layers, N = tokens + class token
    patch = int(name.split('-p')[1])
    embed = 576 if name.startswith('base') else 384
    tokens = (224 // patch)**2 + 1
    assert attention == 12 * 2 * tokens**2 * embed
    assert value(out, 'FLOPs including attention') == flops + attention


def test_shape_option_and_errors(capsys):
    out = run(capsys, TINY, '--shape', '112')
    assert 'Input shape: (3, 112, 112)' in out
    assert value(out, 'Attention matmuls') == 12 * 2 * 50**2 * 384
    code, _, err = call_main(TOOL, capsys, TINY, '--shape', '1', '2', '3')
    assert code == 2 and '--shape' in err
