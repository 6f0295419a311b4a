# Copyright (c) mmconformer contributors. All rights reserved.
__version__ = '0.1.0'


def parse_version_info(version_str: str) -> tuple:
    """``'0.1.0'`` -> ``(0, 1, 0)``; a part that is not a number (``'0rc1'``)
    is kept as a string."""
    info = []
    for part in version_str.split('.'):
        if part.isdigit():
            info.append(int(part))
        else:
            info.append(part)
    return tuple(info)


version_info = parse_version_info(__version__)
