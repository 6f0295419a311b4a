"""tools/analysis_tools/fast_inference_numerics.py, the thin CLI."""
import json
import re

import torch
from _helpers import load_tool, write_tiny_config
from _training import data_options, make_shapes

from mmconformer.apis import load_classifier


def test_reports_agreement_accuracy_and_writes_json(tmp_path, capsys):
    data = make_shapes(tmp_path / 'shapes', train=1, val=2)
    config = write_tiny_config(tmp_path / 'tiny.py')
    checkpoint = tmp_path / 'tiny.pth'
    torch.save({'state_dict': load_classifier(str(config)).state_dict()},
               checkpoint)
    out = tmp_path / 'numerics.json'
    options = [o for o in data_options(data) if o.startswith('test_')]
    tool = load_tool('analysis_tools/fast_inference_numerics.py')
    assert tool.main([str(config), str(checkpoint), '--dtype', 'fp32',
                      '--no-compile', '--json', str(out), '--cfg-options',
                      *options]) == 0
    text = capsys.readouterr().out
    match = re.search(r'12 images, optimize_for_inference\(dtype=\'fp32\'\) '
                      r'vs the fp32 eager model: top-1 agreement '
                      r'100\.00%, max relative logit difference (\S+)', text)
    assert match and float(match.group(1)) < 1e-4
    assert re.search(r'top-1 accuracy: eager \S+%, fast \S+%', text)
    result = json.loads(out.read_text())
    assert result['images'] == 12 and result['dtype'] == 'fp32'
    assert result['top1_agreement'] == 1.0
    # where, when and how it was measured
    import datetime
    assert result['date'] == datetime.date.today().isoformat()
    assert result['torch'] == torch.__version__ and result['machine']
    assert '--dtype fp32' in result['command']
