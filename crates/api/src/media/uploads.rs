//! Image fields of a form: a file part goes through the pipeline, JSON `null` goes back to
//! the default image, and a file under an unexpected name is refused.

use crate::AppState;
use crate::fields::Fields;
use crate::input::Upload;
pub use pingme_app::media::ImageChange;
use pingme_media::{Processed, Purpose, Rejection};

/// DRF's words for a text value where a file was expected.
const NOT_A_FILE: &str = "The submitted data was not a file. Check the encoding type on the form.";

/// Reads the image field `name`: its file part (the last one, as in Django) through the
/// pipeline, or `null` to clear it. Refusals are recorded in `form` under `name`.
pub async fn image_field(
    state: &AppState,
    form: &mut Fields,
    files: &mut Vec<Upload>,
    name: &str,
    purpose: Purpose,
) -> ImageChange {
    let upload = files
        .iter()
        .rposition(|f| f.field == name)
        .map(|at| files.remove(at));
    files.retain(|f| f.field != name);
    if let Some(upload) = upload {
        return match process(state, upload, purpose).await {
            Ok(image) => ImageChange::Replace(image),
            Err(refusal) => {
                form.reject(name, refusal);
                ImageChange::Keep
            }
        };
    }
    match form.nullable(name, |text| Ok(text.to_owned())) {
        Some(None) => ImageChange::Clear,
        Some(Some(text)) if !text.is_empty() => {
            form.reject(name, NOT_A_FILE);
            ImageChange::Keep
        }
        _ => ImageChange::Keep,
    }
}

/// Refuses the files nobody asked for, rather than dropping them without a word.
pub fn refuse_other_files(form: &mut Fields, files: Vec<Upload>, accepted: &str) {
    for file in files {
        form.reject(
            &file.field,
            format!("Unexpected file: files are accepted here only as {accepted}."),
        );
    }
}

/// Runs an uploaded file through the image pipeline (see [`super::ImageJobs`]). The error
/// is the sentence to show under the file's field.
async fn process(state: &AppState, upload: Upload, purpose: Purpose) -> Result<Processed, String> {
    let limit = state.config.max_upload_bytes;
    if upload.oversized {
        return Err(Rejection::TooLarge { limit }.to_string());
    }
    state
        .image_jobs
        .process(upload.bytes, purpose, limit)
        .await
        .map_err(|rejection| rejection.to_string())
}
