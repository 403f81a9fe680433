"""The top-level command: help, version, and one-line errors."""

from synapt import __version__
from synapt.cli import build_parser, main
from synapt.errors import UserError


def test_version(capsys):
    try:
        main(["--version"])
    except SystemExit as exit_:
        assert exit_.code == 0
    assert __version__ in capsys.readouterr().out


def test_no_command_prints_help_and_fails(capsys):
    assert main([]) == 2
    assert "usage: synapt" in capsys.readouterr().out


def test_user_error_is_one_line(capsys):
    parser = build_parser()
    args = parser.parse_args(["speed"])

    def boom(_args):
        raise UserError("file x.yaml: unknown key 'lr' (did you mean 'optim.lr'?)")

    args.func = boom
    # main() re-parses; drive the error path through a registered handler instead.
    from synapt import cli

    original = cli.build_parser
    try:
        cli.build_parser = lambda: _Fixed(args)
        assert main(["speed"]) == 2
    finally:
        cli.build_parser = original
    err = capsys.readouterr().err.strip()
    assert err == "synapt: error: file x.yaml: unknown key 'lr' (did you mean 'optim.lr'?)"


class _Fixed:
    def __init__(self, args):
        self.args = args

    def parse_args(self, _argv):
        return self.args
