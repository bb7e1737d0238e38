//! Line-by-line reading of plain or gzip-compressed text files with bounded memory: a line
//! longer than [`MAX_LINE`] or a stream expanding beyond [`MAX_DECOMPRESSED`] is refused, so a
//! hostile download cannot fill the memory or the disk.
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

use flate2::read::MultiGzDecoder;

use crate::error::DatasetError;

/// Longest accepted line (Steam reviews with their text stay far below it).
pub const MAX_LINE: u64 = 16 << 20;
/// Largest accepted decompressed size of one file (Steam's 1.3 GB gzip expands to ~7 GB).
pub const MAX_DECOMPRESSED: u64 = 32 << 30;

/// Reader over the lines of one file, numbering them from 1 for error messages.
pub struct Lines<'a> {
    reader: Box<dyn BufRead + 'a>,
    file: String,
    line: u64,
    buf: Vec<u8>,
}

impl<'a> Lines<'a> {
    /// Opens `path`, decompressing when it starts with the gzip magic bytes.
    pub fn open(path: &Path) -> Result<Self, DatasetError> {
        let f = File::open(path).map_err(DatasetError::io("opening", path))?;
        let len = f
            .metadata()
            .map_err(DatasetError::io("reading the metadata", path))?
            .len();
        let file = path.display().to_string();
        if len == 0 {
            return Err(DatasetError::bad_input(
                file,
                "the file is empty; delete it and fetch it again",
            ));
        }
        let mut raw = BufReader::new(f);
        let gzip = raw
            .fill_buf()
            .map_err(DatasetError::io("reading", path))?
            .starts_with(&[0x1f, 0x8b]);
        let reader: Box<dyn BufRead> = if gzip {
            Box::new(BufReader::new(
                MultiGzDecoder::new(raw).take(MAX_DECOMPRESSED + 1),
            ))
        } else {
            Box::new(raw)
        };
        Ok(Lines::from_reader(reader, file))
    }

    /// Lines of an in-memory or already opened text; `file` names it in errors.
    pub fn from_reader(reader: Box<dyn BufRead + 'a>, file: String) -> Self {
        Lines {
            reader,
            file,
            line: 0,
            buf: Vec::new(),
        }
    }

    /// The file name used in error messages.
    pub fn file(&self) -> &str {
        &self.file
    }

    /// The next line without its line terminator, with its 1-based number; `None` at the end.
    pub fn next_line(&mut self) -> Result<Option<(u64, &str)>, DatasetError> {
        self.buf.clear();
        let n = (&mut self.reader)
            .take(MAX_LINE + 1)
            .read_until(b'\n', &mut self.buf)
            .map_err(|e| self.read_error(e))?;
        if n == 0 {
            return Ok(None);
        }
        self.line += 1;
        if self.buf.len() as u64 > MAX_LINE {
            return Err(self.error(format!(
                "line longer than {MAX_LINE} bytes; the file is not in the expected format"
            )));
        }
        while matches!(self.buf.last(), Some(b'\n' | b'\r')) {
            self.buf.pop();
        }
        match std::str::from_utf8(&self.buf) {
            Ok(s) => Ok(Some((self.line, s))),
            Err(e) => Err(DatasetError::parse(
                &self.file,
                self.line,
                format!("not UTF-8 ({e})"),
            )),
        }
    }

    /// An error about the current line.
    pub fn error(&self, message: impl ToString) -> DatasetError {
        DatasetError::parse(&self.file, self.line, message)
    }

    fn read_error(&self, e: io::Error) -> DatasetError {
        let message = match e.kind() {
            io::ErrorKind::UnexpectedEof | io::ErrorKind::InvalidInput | io::ErrorKind::InvalidData => format!(
                "corrupt or truncated gzip stream after line {} ({e}); delete the file and fetch it again",
                self.line
            ),
            _ => format!("read error after line {} ({e})", self.line),
        };
        DatasetError::bad_input(&self.file, message)
    }
}

/// Reads every line, calling `f` on each; refuses a file without a single line or one that
/// expands beyond [`MAX_DECOMPRESSED`].
pub fn for_each_line(
    lines: &mut Lines<'_>,
    mut f: impl FnMut(u64, &str) -> Result<(), DatasetError>,
) -> Result<(), DatasetError> {
    let mut total = 0u64;
    while let Some((n, line)) = lines.next_line()? {
        total += line.len() as u64 + 1;
        if total > MAX_DECOMPRESSED {
            return Err(DatasetError::bad_input(
                lines.file(),
                format!(
                    "expands beyond {MAX_DECOMPRESSED} bytes, the limit for one file; refusing it"
                ),
            ));
        }
        if !line.trim().is_empty() {
            f(n, line)?;
        }
    }
    if total == 0 {
        return Err(DatasetError::bad_input(
            lines.file(),
            "no lines; delete the file and fetch it again",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::{write::GzEncoder, Compression};
    use std::io::Write;

    fn gz(text: &str) -> Vec<u8> {
        let mut e = GzEncoder::new(Vec::new(), Compression::default());
        e.write_all(text.as_bytes()).unwrap();
        e.finish().unwrap()
    }

    fn collect(path: &Path) -> Result<Vec<(u64, String)>, DatasetError> {
        let mut out = Vec::new();
        for_each_line(&mut Lines::open(path)?, |n, l| {
            out.push((n, l.to_string()));
            Ok(())
        })?;
        Ok(out)
    }

    #[test]
    fn reads_plain_and_gzip() {
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("a.txt");
        std::fs::write(&plain, "x\r\n\ny\n").unwrap();
        let zipped = dir.path().join("a.gz");
        std::fs::write(&zipped, gz("x\n\ny")).unwrap();
        let want = vec![(1, "x".to_string()), (3, "y".to_string())];
        assert_eq!(collect(&plain).unwrap(), want);
        assert_eq!(collect(&zipped).unwrap(), want);
    }

    #[test]
    fn refuses_empty_and_truncated_files() {
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty.gz");
        std::fs::write(&empty, "").unwrap();
        assert!(collect(&empty).unwrap_err().to_string().contains("empty"));
        let truncated = dir.path().join("t.json.gz");
        let bytes = gz(&"{'a': 1}\n".repeat(5000));
        std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
        let msg = collect(&truncated).unwrap_err().to_string();
        assert!(
            msg.contains("t.json.gz") && msg.contains("truncated"),
            "{msg}"
        );
    }
}
