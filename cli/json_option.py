"""`--json` means one thing in every command: print machine-readable JSON on stdout. `citewise eval` and
`citewise bench` once took `--json OUT` to write a file (now `--out OUT`); that form still runs, with a note."""

RENAMED_IN = ("eval", "bench")


def old_json_out(args: list[str]) -> tuple[list[str], str | None]:
    """`args` with an old `--json OUT` (or `--json=OUT`) of eval or bench made `--out OUT`, and the note to
    print; unchanged (note None) otherwise. OUT is a word that is no option, subcommand or chunk count."""
    if not args or args[0] not in RENAMED_IN:
        return args, None
    for i, arg in enumerate(args):
        if arg.startswith("--json="):
            out, taken = arg.removeprefix("--json="), 1
        elif arg == "--json" and i + 1 < len(args) and _is_path(args[i + 1]):
            out, taken = args[i + 1], 2
        else:
            continue
        note = (
            f"note: `citewise {args[0]} --json OUT` is now `--out OUT` (`--json` alone prints the JSON); writing {out}."
        )
        return [*args[:i], "--out", out, *args[i + taken :]], note
    return args, None


def _is_path(word: str) -> bool:
    return not word.startswith("-") and word != "generate" and not word.replace(",", "").isdigit()
