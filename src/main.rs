//! The `cocolu` command: parses the command line, sets up logging and runs what was asked.

use clap::Parser;
use cocolu::cli::{Cli, Command};
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    cocolu::telemetry::init();
    match cli.command.unwrap_or(Command::Serve(Box::new(cli.serve))) {
        Command::Serve(args) => cocolu::server::run((*args).into_config()),
        Command::Check(folders) => cocolu::commands::check(&folders),
        Command::Schema { out, folders } => cocolu::commands::schema(out, &folders),
        Command::Backup { dest, folders } => cocolu::commands::backup(&dest, &folders),
        Command::Repair(folders) => cocolu::commands::repair(&folders),
        Command::Install { root } => cocolu::install::run(&root),
        Command::User { action, folders } => cocolu::commands::user(action, &folders),
        Command::Contact { action, folders } => cocolu::commands::contact(action, &folders),
        Command::Token {
            name,
            role,
            folders,
        } => cocolu::commands::token(&name, role.into(), &folders),
        Command::Simulate {
            text,
            from,
            button,
            kind,
            first,
            folders,
        } => {
            let question = cocolu_core::engine::simulate::Question {
                text,
                button,
                r#type: kind,
                first_contact: first,
                name: None,
            };
            cocolu::commands::simulate(&question, from.as_deref(), &folders)
        }
    }
}
