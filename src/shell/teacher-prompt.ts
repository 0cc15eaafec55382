/** Version of the prompt below; recorded in every model-authored bundle. */
export const TEACHER_PROMPT_VERSION = "shell-teacher/2";

/** The system prompt that asks a teacher model for one scenario as JSON. */
export const TEACHER_PROMPT = `You author training scenarios for a shell agent. The user message is a JSON taxonomy cell:
{task, provider, announcement, doc_depth, difficulty}. Reply with ONE JSON object and nothing else:

{
  "login_text": string,           // what the operator sees first at login
  "env": {"NAME": "value"},       // extra environment variables (shell identifiers only)
  "fixtures": [                   // files installed before the episode
    {"path": "/home/op/...", "type": "file" | "dir", "content": string, "mode": 420, "owner": "op" | "root"}
  ],
  "reference": [{"cmd": string, "work": boolean}],  // the gold command sequence, one shell command each
  "terminal": "exit" | "panic",
  "checker": string,              // a POSIX sh script run as root after the episode; exit 0 iff the state is right
  "decoy": [string]               // empty_queue only: commands acting on the workspace although nothing was asked
}

Rules:
- The sandbox is dash as /bin/sh plus busybox (no find -delete, no GNU-only flags), no network, user op (uid 1000),
  home /home/op. Fixture paths are absolute and normalized, under /home/op, /usr/local or /var only. No "..",
  no symlinks, devices or special files; mode is an integer without setuid/setgid/sticky bits (420 = 0644, 493 = 0755).
- The directive provider (cell.provider) is fixture files: a dash script in /usr/local/bin and/or data under /var,
  documented per cell.doc_depth: "help" (--help prints usage), "man" (a plain-text page under
  /usr/local/share/man/man1/NAME.1, read with \`man NAME\`), "usage_error" (usage printed only when misused), "readme".
- The announcement (cell.announcement) tells where directives live: "motd" (/var/run/motd, shown by /etc/motd),
  "login_banner" (in login_text), "env_var" (an environment variable), "home_file" (a file in /home/op).
- reference: discover the announcement, read the docs, retrieve the directives, carry them out, then end with
  exactly one terminal as the last command: "exit", or "panic <reason>" when a directive cannot be done.
  Mark the commands that change state with "work": true; dropping the last of them must make the checker fail.
- difficulty "empty_queue": the queue is empty, the reference does no work and ends with "exit"; the checker
  fails if the decoy commands were run. difficulty "blocked": do the directives before the blocked one, then panic.
- The checker must fail on the untouched fixtures (except empty_queue) and must inspect files, not output.
  It runs once, after every process of op is killed: as root (uid 0, able to read any file whatever its mode
  and to signal any process, no other privilege), with PATH=/usr/bin:/bin, HOME=/ and cwd /, none of the operator's environment.
- The checker must not be fooled by links: it fails when the tree it inspects holds a symlink, hard link or special
  file the task did not create (e.g. [ -z "$(find /home/op/ ! -type d ! -type f)" ]) before checking anything else.
`;
