//! A conflicting save's differences from the file on disk, for the 409 answer: the lines that
//! differ, with a little of what surrounds them, so a person sees what changed instead of two
//! whole files.

use cocolu_core::api::documents::{Change, ChangedLine};
use similar::{ChangeTag, TextDiff};
use std::time::Duration;

/// Unchanged lines shown before and after each difference.
const CONTEXT: usize = 2;
/// A diff of two very different large files gives up on the smallest answer after this long
/// (and still answers, less tidily).
const DEADLINE: Duration = Duration::from_millis(200);

/// The lines of `file` and `mine` that differ, grouped, with [`CONTEXT`] lines around each
/// group; each run of unchanged lines left out is one `skipped` line.
pub fn changes(file: &str, mine: &str) -> Vec<ChangedLine> {
    let diff = TextDiff::configure()
        .timeout(DEADLINE)
        .diff_lines(file, mine);
    let groups = diff.grouped_ops(CONTEXT);
    let mut lines = Vec::new();
    for (n, group) in groups.iter().enumerate() {
        let starts_after_gap = group
            .first()
            .is_some_and(|op| op.old_range().start > 0 || op.new_range().start > 0);
        if n > 0 || starts_after_gap {
            lines.push(ChangedLine {
                change: Change::Skipped,
                text: String::new(),
            });
        }
        for op in group {
            for change in diff.iter_changes(op) {
                lines.push(ChangedLine {
                    change: match change.tag() {
                        ChangeTag::Equal => Change::Same,
                        ChangeTag::Delete => Change::File,
                        ChangeTag::Insert => Change::Mine,
                    },
                    text: change.value().trim_end_matches(['\n', '\r']).to_string(),
                });
            }
        }
    }
    let ends_before_the_end = groups
        .last()
        .and_then(|group| group.last())
        .is_some_and(|op| op.old_range().end < diff.old_slices().len());
    if ends_before_the_end {
        lines.push(ChangedLine {
            change: Change::Skipped,
            text: String::new(),
        });
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(lines: &[ChangedLine]) -> Vec<String> {
        lines
            .iter()
            .map(|l| {
                let mark = match l.change {
                    Change::Same => " ",
                    Change::File => "-",
                    Change::Mine => "+",
                    Change::Skipped => "…",
                };
                format!("{mark}{}", l.text)
            })
            .collect()
    }

    #[test]
    fn only_the_lines_that_differ_are_shown_with_two_around_them() {
        let file: String = (1..=20).map(|n| format!("line {n}\n")).collect();
        let mine = file.replace("line 10\n", "line ten\n");
        assert_eq!(
            shown(&changes(&file, &mine)),
            [
                "…",
                " line 8",
                " line 9",
                "-line 10",
                "+line ten",
                " line 11",
                " line 12",
                "…"
            ]
        );
    }

    #[test]
    fn a_broken_hand_edit_and_the_save_differ_where_the_edit_broke_it() {
        let file = "{\n  \"version\": 1,\n  \"name\": \"Pana\n";
        let mine = "{\n  \"version\": 1,\n  \"name\": \"Panadería Lola\"\n}\n";
        assert_eq!(
            shown(&changes(file, mine)),
            [
                " {",
                "   \"version\": 1,",
                "-  \"name\": \"Pana",
                "+  \"name\": \"Panadería Lola\"",
                "+}"
            ]
        );
    }

    #[test]
    fn the_same_text_has_no_differences_and_an_empty_file_is_all_new() {
        assert!(changes("a\nb\n", "a\nb\n").is_empty());
        assert_eq!(shown(&changes("", "a\n")), ["+a"]);
    }

    proptest::proptest! {
        #[test]
        fn the_changes_rebuild_both_versions_where_nothing_is_left_out(
            file in proptest::collection::vec("[ab]{0,2}", 0..12),
            mine in proptest::collection::vec("[ab]{0,2}", 0..12),
        ) {
            let (file, mine) = (file.join("\n"), mine.join("\n"));
            let lines = changes(&file, &mine);
            if !lines.iter().any(|l| l.change == Change::Skipped) {
                let side = |keep: Change| -> Vec<&str> {
                    lines
                        .iter()
                        .filter(|l| l.change == Change::Same || l.change == keep)
                        .map(|l| l.text.as_str())
                        .collect()
                };
                let lines_of = |text: &str| -> Vec<String> {
                    text.lines().map(str::to_string).collect()
                };
                if file != mine {
                    proptest::prop_assert_eq!(side(Change::File), lines_of(&file));
                    proptest::prop_assert_eq!(side(Change::Mine), lines_of(&mine));
                }
            }
        }
    }
}
