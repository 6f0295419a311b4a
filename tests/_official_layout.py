"""Build official-repo (timm-style) state dicts for tests, by renaming the
keys of an mmpretrain-layout classifier in the opposite direction."""
import re

TO_OFFICIAL = (('.ln1.', '.norm1.'), ('.ln2.', '.norm2.'),
               ('.ffn.layers.0.0.', '.mlp.fc1.'), ('.ffn.layers.1.',
                                                   '.mlp.fc2.'))


def to_official(mm_state_dict):
    out = {}
    for key, value in mm_state_dict.items():
        if key.startswith('head.'):
            key = key[len('head.'):]
        else:
            assert key.startswith('backbone.'), key
            key = key[len('backbone.'):]
            if re.match(r'^(trans_1|conv_trans_\d+\.trans_block)\.', key):
                for new, old in TO_OFFICIAL:
                    key = key.replace(new, old)
        out[key] = value.clone()
    return out
