"""The README and docs/ stay true to the code: their shell commands name
files that exist and options the tools accept, their Python runs, their
links resolve, and the benchmark tables equal what their JSON gives."""
import ast
import glob
import importlib.util
import os.path as osp
import re
import shlex

import pytest
from _helpers import REPO_ROOT

DOCS = sorted(
    [osp.join(REPO_ROOT, 'README.md')] +
    glob.glob(osp.join(REPO_ROOT, 'docs', '**', '*.md'), recursive=True) +
    glob.glob(osp.join(REPO_ROOT, 'configs', '**', '*.md'), recursive=True))
#: Folders of the repository whose paths a command may name; other paths
#: (work_dirs/, data/, a user's files) are made by the commands or by you.
REPO_FOLDERS = ('configs/', 'tools/', 'docs/', 'requirements/',
                'mmconformer/', 'tests/', 'build_backend/')
SHELL = ('bash', 'sh', 'shell', 'console')
#: The line above a fenced Python block that keeps it from running.
COMPILE_ONLY = re.compile(r'<!-- docs-test: compile-only \((.+)\) -->')
MIM_PACKAGES = {'mmpretrain': '', 'mmdet': 'mmdet/', 'mmseg': 'mmseg/'}


def relpath(path):
    return osp.relpath(path, REPO_ROOT)


def fenced_blocks(path):
    """``(language, code, line number, the line above the fence)`` of every
    fenced block of a Markdown file."""
    lines = open(path, encoding='utf-8').read().split('\n')
    blocks, index = [], 0
    while index < len(lines):
        match = re.match(r'^```(\S*)\s*$', lines[index])
        if not match:
            index += 1
            continue
        start = index
        index += 1
        body = []
        while not lines[index].startswith('```'):
            body.append(lines[index])
            index += 1
        above = lines[start - 1] if start else ''
        blocks.append((match.group(1), '\n'.join(body), start + 1, above))
        index += 1
    return blocks


def blocks_of(languages):
    return [
        pytest.param(path, code, above, id=f'{relpath(path)}:{line}')
        for path in DOCS
        for lang, code, line, above in fenced_blocks(path)
        if lang in languages
    ]


def shell_commands(code):
    """Each simple command of a shell block as a token list, continuation
    lines joined, comments, environment assignments and operators
    dropped."""
    commands = []
    for line in code.replace('\\\n', ' ').split('\n'):
        tokens = shlex.split(line, comments=True)
        current = []
        for token in tokens + [';']:
            if token in ('&&', '||', ';', '|'):
                while current and re.match(r'^[A-Z_]+=', current[0]):
                    current.pop(0)
                if current:
                    commands.append(current)
                current = []
            else:
                current.append(token)
    return commands


def load_tool(script):
    spec = importlib.util.spec_from_file_location(
        'docs_' + script.replace('/', '_')[:-3], osp.join(REPO_ROOT, script))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def parse_with_the_tools_parser(script, args):
    tool = load_tool(script)
    if hasattr(tool, 'build_parser'):
        tool.build_parser().parse_args(args)
    else:
        tool.parse_args(args)


def make_targets():
    with open(osp.join(REPO_ROOT, 'Makefile')) as f:
        return set(re.findall(r'^([a-z][a-z-]*):', f.read(), re.M))


def setup_extras():
    with open(osp.join(REPO_ROOT, 'setup.py')) as f:
        block = f.read().split('extras_require=', 1)[1].split('}', 1)[0]
    return set(re.findall(r"'([a-z]+)':", block))


def check_command(tokens, monkeypatch):
    for token in tokens:
        for path in re.split(r'[=,]', token):
            if path.startswith(REPO_FOLDERS) and '<' not in path:
                assert osp.exists(osp.join(REPO_ROOT, path)), \
                    f'{path} does not exist'
    program = osp.basename(tokens[0])
    if program == 'make':
        missing = set(tokens[1:]) - make_targets()
        assert not missing, f'make has no target {sorted(missing)}'
    elif program == 'mim' and tokens[1] in ('train', 'test', 'run'):
        package = tokens[2]
        assert package in MIM_PACKAGES, f'mim {tokens[1]} {package}'
        configs = [t for t in tokens[3:] if t.endswith('.py')]
        assert configs or tokens[1] == 'run', \
            f'mim {tokens[1]} names no config: {tokens}'
        for config in configs[:1]:
            assert config.startswith('configs/' + MIM_PACKAGES[package]), \
                f'{config} is not a config of ours for {package}'
    elif program == 'pip':
        for token in tokens:
            extras = re.match(r'^\.\[([a-z,]+)\]$', token)
            if extras:
                unknown = set(extras.group(1).split(',')) - setup_extras()
                assert not unknown, f'setup.py has no extra {unknown}'
    scripts = [i for i, t in enumerate(tokens)
               if t.startswith('tools/') and t.endswith('.py')]
    if scripts and program in ('python', 'python3', 'torchrun'):
        index = scripts[0]
        # LOCAL_RANK: tools/train.py and test.py set it when it is missing
        monkeypatch.setenv('LOCAL_RANK', '0')
        try:
            parse_with_the_tools_parser(tokens[index], tokens[index + 1:])
        except SystemExit as exit_:
            raise AssertionError(
                f'{tokens[index]} refuses {tokens[index + 1:]}') from exit_


@pytest.mark.parametrize('path,code,above', blocks_of(SHELL))
def test_shell_commands(path, code, above, monkeypatch, capsys):
    commands = shell_commands(code)
    assert commands, 'an empty shell block'
    for tokens in commands:
        check_command(tokens, monkeypatch)


@pytest.mark.parametrize('path,code,above', blocks_of(('python', )))
def test_python_blocks(path, code, above, monkeypatch):
    compiled = compile(code, relpath(path), 'exec')
    marker = COMPILE_ONLY.match(above)
    if marker:
        assert len(marker.group(1)) > 10, 'say why the block does not run'
        return
    monkeypatch.chdir(REPO_ROOT)
    exec(compiled, {'__name__': '__docs__'})


def heading_anchors(path):
    """GitHub's anchors of a Markdown file's headings."""
    anchors = set()
    text = re.sub(r'```.*?```', '', open(path, encoding='utf-8').read(),
                  flags=re.S)
    for heading in re.findall(r'^#+ (.+)$', text, re.M):
        slug = re.sub(r'[^\w\- ]', '', heading.strip().lower())
        anchors.add(slug.replace(' ', '-'))
    return anchors


@pytest.mark.parametrize('path', DOCS, ids=relpath)
def test_relative_links_resolve(path):
    text = re.sub(r'```.*?```', '', open(path, encoding='utf-8').read(),
                  flags=re.S)
    links = re.findall(r'\]\(([^)\s]+)\)', text)
    for link in links:
        if re.match(r'^[a-z]+://', link) or link.startswith('mailto:'):
            continue
        target, _, anchor = link.partition('#')
        resolved = osp.normpath(osp.join(osp.dirname(path), target)) \
            if target else path
        assert osp.exists(resolved), f'{link}: no such file'
        if anchor and resolved.endswith('.md'):
            assert anchor in heading_anchors(resolved), \
                f'{link}: no such heading'


def test_generated_benchmark_tables_are_current():
    from mmconformer.analysis.benchmark import render_generated_tables
    path = osp.join(REPO_ROOT, 'docs', 'en', 'benchmarks.md')
    text = open(path, encoding='utf-8').read()
    blocks = re.findall(r'<!-- benchmark-table: (\S+) -->\n(.*?)<!-- end',
                        text, re.S)
    assert len(blocks) >= 8 and all(body.strip() for _, body in blocks)
    assert render_generated_tables(text, REPO_ROOT) == text, \
        'regenerate with: python tools/analysis_tools/benchmark.py ' \
        '--update-docs docs/en/benchmarks.md'


@pytest.mark.parametrize('path', DOCS, ids=relpath)
def test_docs_speak_of_the_project_alone(path):
    text = open(path, encoding='utf-8').read()
    assert not re.search(r'\bissues? \d+\b|\bsessions?\b', text, re.I)


def test_readme_is_a_front_page():
    with open(osp.join(REPO_ROOT, 'README.md')) as f:
        text = f.read()
    assert len(text.splitlines()) <= 200
    for needed in ('## Models', '## Install', '## Quick start',
                   '@inproceedings',
                   '## License', 'make demo', 'make test',
                   'mim train mmpretrain configs/conformer-tiny-p16_8xb128'
                   '_in1k.py --launcher pytorch'):
        assert needed in text, needed
    assert osp.isfile(osp.join(REPO_ROOT, 'LICENSE'))


@pytest.mark.parametrize(
    'script',
    sorted(relpath(p) for p in glob.glob(
        osp.join(REPO_ROOT, 'tools', '**', '*.py'), recursive=True)))
def test_usage_examples_render(script):
    """A docstring line ending in a single backslash joins the next line
    to it: write ``\\\\`` for a shell continuation."""
    source = open(osp.join(REPO_ROOT, script)).read()
    first = ast.parse(source).body[0]
    assert isinstance(first, ast.Expr) and isinstance(
        first.value, ast.Constant), f'{script} has no module docstring'
    raw = ast.get_source_segment(source, first)
    assert not re.search(r'(?<!\\)\\\n', raw), \
        'a usage line ends in a single backslash'
