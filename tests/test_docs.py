"""The README and docs/ stay true to the code: their shell commands name
files that exist and options the tools (and mim) accept, a command run on
N GPUs says ``--gpus N``, their Python runs, their links resolve, the
benchmark tables equal what their JSON gives, a ratio in prose is one of
those tables', and they speak of the project alone."""
import ast
import glob
import importlib.util
import os.path as osp
import re
import shlex

import pytest
from _helpers import REPO_ROOT

# plain_clone: the README and docs commands are what a user runs first
pytestmark = pytest.mark.plain_clone

DOCS = sorted(
    [osp.join(REPO_ROOT, 'README.md')] +
    glob.glob(osp.join(REPO_ROOT, 'docs', '**', '*.md'), recursive=True) +
    glob.glob(osp.join(REPO_ROOT, 'configs', '**', '*.md'), recursive=True))
#: Folders of the repository whose paths a command may name; other paths
#: (work_dirs/, data/, a user's files) are made by the commands or by you.
REPO_FOLDERS = ('configs/', 'tools/', 'docs/', 'requirements/',
                'mmconformer/', 'tests/', 'build_backend/', 'demo/')
SHELL = ('bash', 'sh', 'shell', 'console')
#: The line above a fenced Python block that keeps it from running.
COMPILE_ONLY = re.compile(r'<!-- docs-test: compile-only \((.+)\) -->')
MIM_PACKAGES = {'mmpretrain': '', 'mmdet': 'mmdet/', 'mmseg': 'mmseg/'}


def relpath(path):
    return osp.relpath(path, REPO_ROOT)


def fenced_blocks(path):
    """``(language, code, line number, the line above the fence)`` of every
    fenced block of a Markdown file, at any indentation (a block inside a
    list item included); the fence's indentation is taken off its lines."""
    lines = open(path, encoding='utf-8').read().split('\n')
    blocks, index = [], 0
    while index < len(lines):
        match = re.match(r'^(\s*)```(\S*)\s*$', lines[index])
        if not match:
            index += 1
            continue
        indent, start = match.group(1), index
        index += 1
        body = []
        while not lines[index].strip().startswith('```'):
            line = lines[index]
            body.append(line[len(indent):] if line.startswith(indent)
                        else line.lstrip())
            index += 1
        above = lines[start - 1].strip() if start else ''
        blocks.append((match.group(2), '\n'.join(body), start + 1, above,
                       paragraph_before(lines, start)))
        index += 1
    return blocks


def paragraph_before(lines, index):
    """The prose paragraph that ends above line ``index`` (blank lines and
    HTML comments between them skipped)."""
    index -= 1
    while index >= 0 and (not lines[index].strip() or
                          lines[index].strip().startswith('<!--')):
        index -= 1
    paragraph = []
    while index >= 0 and lines[index].strip() and \
            not lines[index].strip().startswith('```'):
        paragraph.insert(0, lines[index].strip())
        index -= 1
    return ' '.join(paragraph)


def blocks_of(languages):
    return [
        pytest.param(path, code, above, prose, id=f'{relpath(path)}:{line}')
        for path in DOCS
        for lang, code, line, above, prose in fenced_blocks(path)
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


#: "8 GPUs", "eight GPUs": a number of GPUs said in words.
GPU_COUNT = re.compile(
    r'\b(\d+|one|two|four|eight|sixteen) GPUs?\b', re.I)
NUMBER_WORDS = dict(one=1, two=2, four=4, eight=8, sixteen=16)


def check_mim_command(tokens, prose):
    """Parse a ``mim train``/``mim test`` line with mim's own parser. mim's
    ``--gpus`` defaults to 1, so a launcher without it starts one process,
    and a line whose text says N GPUs must pass ``--gpus N``."""
    import click
    from mim.commands.test import cli as mim_test
    from mim.commands.train import cli as mim_train
    command = dict(train=mim_train, test=mim_test)[tokens[1]]
    try:
        context = command.make_context(tokens[1], list(tokens[2:]))
    except click.UsageError as err:
        raise AssertionError(f'mim {tokens[1]} refuses it: {err}') from err
    gpus_given = '--gpus' in tokens or any(
        t.startswith('--gpus=') for t in tokens)
    if context.params.get('launcher') not in (None, 'none'):
        assert gpus_given, (
            f'mim {tokens[1]} --launcher without --gpus starts one process '
            f'(mim\'s --gpus defaults to 1): {" ".join(tokens)}')
    said = {int(n) if n.isdigit() else NUMBER_WORDS[n.lower()]
            for n in GPU_COUNT.findall(prose)}
    if said:
        assert gpus_given and context.params['gpus'] in said, (
            f'the text says {sorted(said)} GPU(s), the command passes '
            f'--gpus {context.params.get("gpus") if gpus_given else "(none)"}'
            f': {" ".join(tokens)}')


def check_command(tokens, monkeypatch, prose=''):
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
        if tokens[1] in ('train', 'test'):
            check_mim_command(tokens, prose)
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


@pytest.mark.parametrize('path,code,above,prose', blocks_of(SHELL))
def test_shell_commands(path, code, above, prose, monkeypatch, capsys):
    commands = shell_commands(code)
    assert commands, 'an empty shell block'
    comments = ' '.join(re.findall(r'#(.*)$', code, re.M))
    for tokens in commands:
        check_command(tokens, monkeypatch, prose + ' ' + comments)


@pytest.mark.parametrize('path,code,above,prose', blocks_of(('python', )))
def test_python_blocks(path, code, above, prose, monkeypatch, request):
    compiled = compile(code, relpath(path), 'exec')
    marker = COMPILE_ONLY.match(above)
    if marker:
        assert relpath(path) != 'README.md', \
            'the README\'s quick start runs'
        assert len(marker.group(1)) > 10, 'say why the block does not run'
        return
    request.getfixturevalue('published_weights_served_here')
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
    from _helpers import load_benchmark_tables
    render_generated_tables = load_benchmark_tables().render_generated_tables
    path = osp.join(REPO_ROOT, 'docs', 'en', 'benchmarks.md')
    text = open(path, encoding='utf-8').read()
    blocks = re.findall(r'<!-- benchmark-table: (\S+) -->\n(.*?)<!-- end',
                        text, re.S)
    assert len(blocks) >= 8 and all(body.strip() for _, body in blocks)
    assert render_generated_tables(text, REPO_ROOT) == text, \
        'regenerate with: python docs/benchmark_tables.py ' \
        'docs/en/benchmarks.md'


#: Words about how the project was made, not what a user can do.
PROCESS_WORDS = re.compile(
    r"\bissues? \d+\b|\bsessions?\b|\bmission\b|machines? this project"
    r"|available to the project|\bwe tried\b|\bdid not finish\b"
    r"|\bhere \(no GPU|\(no GPU|\.\./shared|this project's CI"
    r"|\bno GPU was lent\b", re.I)


@pytest.mark.parametrize('path', DOCS, ids=relpath)
def test_docs_speak_of_the_project_alone(path):
    text = open(path, encoding='utf-8').read()
    found = [m.group(0) for m in PROCESS_WORDS.finditer(text)]
    assert not found, f'words about how the project was made: {found}'


@pytest.mark.parametrize('phrase', [
    "the mission's launch command", 'the machines this project is built on',
    'no GPU has been available to the project', 'when we tried it',
    'did not finish', 'here (no GPU, no COCO)', 'beside ../shared',
    "this project's CI"])
def test_process_words_are_caught(phrase):
    assert PROCESS_WORDS.search(f'Some text, {phrase}, more text.')


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


def resolve(dotted):
    """The object a dotted ``mmconformer.…`` name names, importing the
    longest module prefix and taking attributes for the rest."""
    import importlib
    parts = dotted.split('.')
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module('.'.join(parts[:cut]))
        except ImportError:
            continue
        for name in parts[cut:]:
            obj = getattr(obj, name)
        return obj
    raise ImportError(dotted)


@pytest.mark.parametrize('path', DOCS, ids=relpath)
def test_named_python_objects_exist(path):
    text = open(path, encoding='utf-8').read()
    for dotted in set(re.findall(r'`(mmconformer(?:\.\w+)+)', text)):
        try:
            resolve(dotted)
        except (ImportError, AttributeError) as err:
            raise AssertionError(f'{dotted} does not exist: {err}') from err


GENERATED = re.compile(
    r'<!-- benchmark-table: .*?<!-- end benchmark-table -->', re.S)


def prose_of(text):
    """A Markdown text without its fenced blocks and generated tables."""
    text = re.sub(r'^\s*```.*?^\s*```', '', text, flags=re.S | re.M)
    return GENERATED.sub('', text)


def generated_table_ratios():
    text = open(osp.join(REPO_ROOT, 'docs', 'en', 'benchmarks.md'),
                encoding='utf-8').read()
    tables = ''.join(GENERATED.findall(text))
    return set(re.findall(r'(\d+\.\d+)x', tables))


@pytest.mark.parametrize('path', DOCS, ids=relpath)
def test_speed_ratios_in_prose_are_the_tables(path):
    """A speed ratio written in prose (``1.49x``) is one the generated
    tables hold, which come from the benchmark JSON; a range or a
    rounded figure is not written, the prose names the table instead."""
    prose = prose_of(open(path, encoding='utf-8').read())
    known = generated_table_ratios()
    assert known
    written = re.findall(
        r'(?<![\w.])(\d+\.\d+)(?=x\b|-\d+(?:\.\d+)?x\b)'
        r'|(?<![\w.])(?:\d+(?:\.\d+)?-)?(\d+(?:\.\d+)?)(?=x (?:our|mmpretrain|'
        r'faster|slower|the speed))', prose)
    written = [a or b for a, b in written]
    unknown = sorted(set(written) - known)
    assert not unknown, f'ratios in prose that no table holds: {unknown}'


def test_benchmark_tables_script_updates_and_prints(tmp_path, capsys):
    """docs/benchmark_tables.py rewrites a document's tables in place and
    says so, prints a report's block between the markers, and names a
    missing report in one line."""
    from _helpers import load_benchmark_tables
    tables = load_benchmark_tables()
    report = osp.join(REPO_ROOT, 'docs', 'benchmarks',
                      'demo_fast_bf16_numerics.json')
    assert tables.main(['--print', report]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f'<!-- benchmark-table: {report} -->\n')
    assert '| top-1 agreement with the fp32 eager model |' in out
    assert out.rstrip().endswith('<!-- end benchmark-table -->')
    doc = tmp_path / 'doc.md'
    doc.write_text('<!-- benchmark-table: docs/benchmarks/demo_fast_bf16_'
                   'numerics.json -->\nold\n<!-- end benchmark-table -->\n')
    assert tables.main([str(doc)]) == 0
    assert capsys.readouterr().out.strip() == f'{doc}: updated'
    assert '| top-1 agreement with the fp32 eager model |' in doc.read_text()
    assert tables.main([str(doc)]) == 0
    assert capsys.readouterr().out.strip() == f'{doc}: already up to date'
    assert tables.main(['--print', str(tmp_path / 'none.json')]) == 1
    err = capsys.readouterr().err
    assert err.startswith('error: ') and 'none.json' in err
