//! The timeline drawn as an SVG diagram.

use crate::timeline::Timeline;

impl Timeline {
    /// The timeline as an SVG document.
    pub fn to_svg(&self) -> String {
        String::from("<svg xmlns=\"http://www.w3.org/2000/svg\"/>")
    }
}
