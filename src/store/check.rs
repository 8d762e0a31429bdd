//! `cocolu check`: validates a data folder and a templates folder offline, without changing
//! anything, and lists every problem with file, line and column.

use super::log::{list_segments, scan_segment};
use super::templates::TemplateStore;
use super::LOG_DIR;
use crate::auth::users::Users;
use cocolu_core::connection::SavedConnection;
use cocolu_core::document::{migrate_text, parse, Context, FileProblem, HandEdited};
use cocolu_core::engine::rules::Rules;
use cocolu_core::fault::Fault;
use cocolu_core::quick_replies::QuickReplies;
use cocolu_core::settings::Settings;
use std::fs;
use std::io;
use std::path::Path;

/// What a check found.
#[derive(Debug, Default)]
pub struct Report {
    /// Problems that stop start-up or keep an edit from taking effect.
    pub problems: Vec<FileProblem>,
    /// Things worth knowing that need no action.
    pub notes: Vec<String>,
}

/// Checks everything in the two folders.
pub fn check(data_dir: &Path, templates_dir: &Path) -> Report {
    let mut report = Report::default();
    let templates = TemplateStore::open(templates_dir).current();
    report.problems.extend(templates.problems.iter().cloned());
    let context = crate::store::document::context_with(templates.texts.keys().cloned().collect());
    check_document::<Settings>(data_dir, &context, &mut report);
    check_document::<Rules>(data_dir, &context, &mut report);
    check_document::<Users>(data_dir, &context, &mut report);
    check_document::<SavedConnection>(data_dir, &context, &mut report);
    check_document::<QuickReplies>(data_dir, &context, &mut report);
    check_log(&data_dir.join(LOG_DIR), &mut report);
    report
}

fn check_document<T: HandEdited>(dir: &Path, context: &Context, report: &mut Report) {
    match fs::read_to_string(dir.join(T::FILE)) {
        Ok(text) => {
            let text = match migrate_text::<T>(&text) {
                Ok(Some((from, migrated))) => {
                    report.notes.push(format!(
                        "{} is in format {from}; the server migrates it to format {} at start, \
                         keeping the old file in .migrated/",
                        T::FILE,
                        T::VERSION
                    ));
                    migrated
                }
                Ok(None) => text,
                Err(error) => {
                    report.problems.push(FileProblem::whole(
                        T::FILE,
                        Fault::CannotMigrate { detail: error },
                    ));
                    return;
                }
            };
            if let Err(problems) = parse::<T>(T::FILE, &text, context) {
                report.problems.extend(problems);
            }
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            report.notes.push(format!(
                "{} is missing; the server will create it with defaults",
                T::FILE
            ));
        }
        Err(e) => report.problems.push(FileProblem::whole(
            T::FILE,
            Fault::Unreadable {
                detail: e.to_string(),
            },
        )),
    }
}

fn check_log(dir: &Path, report: &mut Report) {
    if !dir.exists() {
        return;
    }
    let segments = match list_segments(dir) {
        Ok(segments) => segments,
        Err(error) => {
            report.problems.push(FileProblem::whole(
                LOG_DIR,
                Fault::Unreadable {
                    detail: error.to_string(),
                },
            ));
            return;
        }
    };
    let last = segments.last().map(|s| s.id);
    for segment in &segments {
        let file = format!("{LOG_DIR}/{}", segment.file_name());
        match scan_segment(&dir.join(segment.file_name())) {
            Ok(scan) => {
                for bad in &scan.corrupt {
                    report.problems.push(FileProblem {
                        line: bad.line as usize,
                        ..FileProblem::whole(
                            file.clone(),
                            Fault::CorruptRecord {
                                detail: bad.reason().to_string(),
                            },
                        )
                    });
                }
                let tail = segment.len - scan.valid_end;
                if tail > 0 && Some(segment.id) == last {
                    report.notes.push(format!(
                        "{file} ends with {tail} bytes of an interrupted write; the server cuts them off at start"
                    ));
                } else if tail > 0 {
                    report.problems.push(FileProblem::whole(
                        file,
                        Fault::IncompleteSegment { bytes: tail },
                    ));
                }
            }
            Err(error) => report.problems.push(FileProblem::whole(
                file,
                Fault::Unreadable {
                    detail: error.to_string(),
                },
            )),
        }
    }
}
