//! The passive model alone on prints and screens synthesised from people's
//! photos (`visage face attack-eval`'s second table; issue 14).

use image::RgbImage;
use visage::biometrics::recapture::{self, Kind};

use crate::face::{best, faces};
use crate::face_attacks::frame;

fn photo(name: &str) -> RgbImage {
    image::open(faces(&format!("dev/images/{name}")))
        .expect("a dev face image (../shared/faces)")
        .to_rgb8()
}

/// Each photo is scored once as it is, once printed and once on a screen,
/// and each clip frame once; a real camera's frames of the person pass the
/// passive model; a print cannot show black (the ink is lifted by the
/// paper), so the synthesis is not the photo.
#[test]
fn every_photo_is_scored_as_it_is_printed_and_on_a_screen() {
    let photos: Vec<(RgbImage, _)> = ["img7.jpg", "img13.jpg", "img33.jpg"]
        .iter()
        .map(|n| {
            let p = photo(n);
            let face = best().analyze(&p, false).expect("a face").face;
            (p, face)
        })
        .collect();
    let clip: Vec<RgbImage> = [1, 7, 14, 20].iter().map(|i| frame(*i)).collect();
    let frames: Vec<&RgbImage> = clip.iter().collect();
    let rows = recapture::evaluate(best(), &photos, &frames).unwrap();
    let kinds: Vec<(Kind, usize)> = rows.iter().map(|r| (r.kind, r.attempts)).collect();
    assert_eq!(
        kinds,
        [
            (Kind::BonaFidePhoto, 3),
            (Kind::BonaFideClip, 4),
            (Kind::Print, 3),
            (Kind::Screen, 3)
        ]
    );
    let clip_row = &rows[1];
    assert_eq!(
        clip_row.accepted, 4,
        "the person's own frames: {clip_row:?}"
    );
    for r in &rows {
        let [lo, hi] = r.scores.expect("every face found");
        assert!((0.0..=1.0).contains(&lo) && lo <= hi, "{r:?}");
    }
    let (p, _) = &photos[0];
    let darkest = |img: &RgbImage| img.pixels().map(|px| px.0[0]).min().unwrap();
    assert!(darkest(p) < 10, "the photo has black");
    assert!(
        darkest(&recapture::printed(p, 1)) >= 15,
        "a print's blacks are lifted"
    );
}
