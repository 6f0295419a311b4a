# Copyright (c) mmconformer contributors. All rights reserved.
"""Packaging for mmconformer, in the OpenMMLab manner.

``configs/``, ``tools/`` and ``model-index.yml`` are shipped inside the package
as ``mmconformer/.mim/`` so that mim finds them: copied for sdist and wheel
builds, symlinked for editable installs (``develop`` and PEP 660
``editable_wheel``).
"""
import os
import os.path as osp
import shutil
import sys

from setuptools import find_packages, setup

HERE = osp.dirname(osp.abspath(__file__))
MIM_FILES = ('configs', 'tools', 'model-index.yml')


def get_version() -> str:
    scope: dict = {}
    with open(osp.join(HERE, 'mmconformer', 'version.py')) as f:
        exec(compile(f.read(), 'version.py', 'exec'), scope)
    return scope['__version__']


def parse_requirements(fname: str) -> list:
    """Requirement lines of ``requirements/<fname>``, comments dropped."""
    reqs = []
    with open(osp.join(HERE, 'requirements', fname)) as f:
        for line in f:
            line = line.split('#', 1)[0].strip()
            if line and not line.startswith('-'):
                reqs.append(line)
    return reqs


def add_mim_extension() -> None:
    """Place configs, tools and model-index.yml into ``mmconformer/.mim``."""
    editable = any(cmd in sys.argv for cmd in ('develop', 'editable_wheel'))
    building = any(cmd in sys.argv
                   for cmd in ('sdist', 'bdist_wheel', 'build', 'egg_info',
                               'build_py', 'install'))
    if not (editable or building):
        return
    mim_path = osp.join(HERE, 'mmconformer', '.mim')
    os.makedirs(mim_path, exist_ok=True)
    for name in MIM_FILES:
        src = osp.join(HERE, name)
        dst = osp.join(mim_path, name)
        if not osp.exists(src):
            continue
        if osp.islink(dst) or osp.isfile(dst):
            os.remove(dst)
        elif osp.isdir(dst):
            shutil.rmtree(dst)
        if editable:
            os.symlink(osp.relpath(src, mim_path), dst)
        elif osp.isdir(src):
            shutil.copytree(src, dst)
        else:
            shutil.copyfile(src, dst)


if __name__ == '__main__':
    add_mim_extension()
    with open(osp.join(HERE, 'README.md'), encoding='utf-8') as f:
        long_description = f.read()
    setup(
        name='mmconformer',
        version=get_version(),
        description='Conformer (CNN + transformer coupled by Feature '
        'Coupling Units) for mmpretrain 1.x',
        long_description=long_description,
        long_description_content_type='text/markdown',
        keywords='computer vision, image classification, conformer',
        packages=find_packages(exclude=('configs', 'tools', 'tests')),
        # The package sits at the top of the source tree. Said explicitly, it
        # makes an editable install put the tree on sys.path with a .pth file
        # (as `setup.py develop` did) instead of an import hook, which is the
        # kind build_backend/mmconformer_build.py can make mim find.
        package_dir={'': '.'},
        include_package_data=True,
        package_data={'mmconformer': ['.mim/**/*', '.mim/*']},
        # the versions the test suite has run on: Python 3.11 (CPU) and
        # 3.12 (the GPU check)
        python_requires='>=3.11',
        license='Apache License 2.0',
        license_files=['LICENSE'],
        install_requires=parse_requirements('runtime.txt'),
        extras_require={
            'tests': parse_requirements('tests.txt'),
            'mim': parse_requirements('mminstall.txt'),
            'vis': parse_requirements('vis.txt'),
            'deploy': parse_requirements('deploy.txt'),
            'openvino': parse_requirements('deploy.txt') +
            parse_requirements('openvino.txt'),
            'dense': parse_requirements('dense.txt'),
        },
        classifiers=[
            'Programming Language :: Python :: 3',
            'Topic :: Scientific/Engineering :: Artificial Intelligence',
        ],
        zip_safe=False)
