//! The SVG diagram of a timeline: valid XML, a lane per thread, an event
//! box per event, and an overwrite mark per lost update.

use std::time::Duration;

use pythreading_core::CancellationToken;
use pythreading_fakedb::{Event, FakeDatabase, Mode, Step, Timeline, run};
use roxmltree::{Document, Node};

const SVG_NS: &str = "http://www.w3.org/2000/svg";

/// The elements of the document with the given `class`.
fn with_class<'a, 'input>(document: &'a Document<'input>, class: &str) -> Vec<Node<'a, 'input>> {
    document
        .descendants()
        .filter(|node| node.attribute("class") == Some(class))
        .collect()
}

/// The `data-thread` of each lane, in document order.
fn lane_threads(document: &Document<'_>) -> Vec<String> {
    with_class(document, "lane")
        .iter()
        .map(|lane| {
            assert_eq!(lane.tag_name().name(), "g");
            lane.attribute("data-thread")
                .expect("a lane names its thread")
                .to_owned()
        })
        .collect()
}

/// Parses the SVG and checks its root.
fn parse(svg: &str) -> Document<'_> {
    let document = Document::parse(svg).unwrap_or_else(|e| panic!("invalid XML: {e}\n{svg}"));
    let root = document.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    assert_eq!(root.tag_name().namespace(), Some(SVG_NS));
    for attribute in ["width", "height", "viewBox"] {
        assert!(root.has_attribute(attribute), "the root has no {attribute}");
    }
    document
}

/// Checks what every diagram of a timeline keeps to: a lane per thread, in
/// order, an event box per event inside its thread's lane, and an overwrite
/// mark per overwrite.
fn check_structure(timeline: &Timeline, svg: &str) {
    let document = parse(svg);
    assert_eq!(lane_threads(&document), timeline.threads());
    let mut events = with_class(&document, "event");
    assert_eq!(events.len(), timeline.events().len());
    // Grouped by lane: put them back in time order.
    let index =
        |node: &Node<'_, '_>| -> usize { node.attribute("data-index").unwrap().parse().unwrap() };
    events.sort_by_key(index);
    for (i, (node, event)) in events.iter().zip(timeline.events()).enumerate() {
        assert_eq!(index(node), i);
        assert_eq!(
            node.attribute("data-step"),
            Some(format!("{:?}", event.step).as_str())
        );
        let lane = node
            .ancestors()
            .find(|a| a.attribute("class") == Some("lane"))
            .expect("an event is inside a lane");
        assert_eq!(lane.attribute("data-thread"), Some(event.thread.as_str()));
    }
    let overwrites = with_class(&document, "overwrite");
    let expected = timeline.overwrites();
    assert_eq!(overwrites.len(), expected.len());
    for (node, overwrite) in overwrites.iter().zip(&expected) {
        assert_eq!(
            node.attribute("data-write"),
            Some(overwrite.write.to_string().as_str())
        );
        let note = timeline.describe(overwrite);
        assert!(
            node.descendants().any(|n| n.text() == Some(note.as_str())),
            "the overwrite's note {note:?} is missing"
        );
    }
}

fn race_svg_has_a_lane_per_thread(threads: usize) {
    let report = run(Mode::Race, threads, Duration::from_millis(150)).unwrap();
    let timeline = &report.timeline;
    let svg = timeline.to_svg();
    check_structure(timeline, &svg);
    let lanes = lane_threads(&parse(&svg));
    assert_eq!(lanes.len(), threads);
    let mut distinct = lanes.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), threads);
}

#[test]
fn race_of_two_threads_has_two_lanes() {
    race_svg_has_a_lane_per_thread(2);
}

#[test]
fn race_of_three_threads_has_three_lanes() {
    race_svg_has_a_lane_per_thread(3);
}

#[test]
fn race_marks_the_overwrite() {
    let report = run(Mode::Race, 2, Duration::from_millis(150)).unwrap();
    let svg = report.timeline.to_svg();
    let document = parse(&svg);
    assert!(!with_class(&document, "overwrite").is_empty());
    // The overwriting write's box is marked too.
    assert!(
        with_class(&document, "event")
            .iter()
            .any(|e| e.attribute("data-step") == Some("Write")
                && e.attribute("data-overwrite") == Some("true"))
    );
    assert!(svg.contains("<title>fakedb: 2 threads, update, 150ms delay</title>"));
}

#[test]
fn fixrace_has_three_lanes_and_no_overwrite() {
    let report = run(Mode::FixRace, 3, Duration::from_millis(20)).unwrap();
    let timeline = &report.timeline;
    let svg = timeline.to_svg();
    check_structure(timeline, &svg);
    let document = parse(&svg);
    assert_eq!(lane_threads(&document).len(), 3);
    assert!(with_class(&document, "overwrite").is_empty());
    assert_eq!(with_class(&document, "lock").len(), 3);
    assert!(svg.contains("locked_update"));
}

fn event(thread: &str, name: usize, step: Step, local_copy: Option<i64>, value: i64) -> Event {
    Event {
        at: Duration::from_micros(1500 * name as u64),
        thread: thread.to_owned(),
        name,
        step,
        local_copy,
        value,
        replaced: None,
    }
}

fn write(thread: &str, name: usize, written: i64, replaced: i64) -> Event {
    Event {
        replaced: Some(replaced),
        ..event(thread, name, Step::Write, Some(written), written)
    }
}

#[test]
fn thread_names_are_escaped_and_round_trip() {
    let odd = r#"<evil & "quoted" 'name'>"#;
    let other = "</svg><script>alert(1)</script>";
    let timeline = Timeline::new(
        vec![
            event(odd, 0, Step::Read, Some(0), 0),
            event(other, 1, Step::Read, Some(0), 0),
            write(odd, 0, 1, 0),
            write(other, 1, 1, 1),
        ],
        Duration::from_millis(100),
    );
    let svg = timeline.to_svg();
    check_structure(&timeline, &svg);
    let document = parse(&svg);
    assert_eq!(lane_threads(&document), [odd, other]);
    assert!(
        !document
            .descendants()
            .any(|n| n.tag_name().name() == "script")
    );
    // The names are shown, too.
    let shown: Vec<&str> = with_class(&document, "thread")
        .iter()
        .filter_map(|n| n.text())
        .collect();
    assert_eq!(shown, [odd, other]);
}

#[test]
fn hand_made_overwrite_points_at_the_lost_write() {
    let timeline = Timeline::new(
        vec![
            event("a", 0, Step::Read, Some(0), 0),
            event("b", 1, Step::Read, Some(0), 0),
            event("c", 2, Step::Read, Some(0), 0),
            write("a", 0, 1, 0),
            write("b", 1, 1, 1),
            write("c", 2, 1, 1),
        ],
        Duration::from_millis(100),
    );
    let svg = timeline.to_svg();
    check_structure(&timeline, &svg);
    let document = parse(&svg);
    let overwrites = with_class(&document, "overwrite");
    assert_eq!(overwrites.len(), 2);
    assert_eq!(overwrites[0].attribute("data-overwritten"), Some("3"));
    assert_eq!(overwrites[1].attribute("data-overwritten"), Some("3 4"));
    assert_eq!(overwrites[1].attribute("data-lost"), Some("1"));
}

#[test]
fn empty_timeline_is_a_valid_svg() {
    let timeline = Timeline::new(Vec::new(), Duration::from_millis(100));
    let svg = timeline.to_svg();
    let document = parse(&svg);
    assert!(lane_threads(&document).is_empty());
    assert!(with_class(&document, "event").is_empty());
    assert_eq!(with_class(&document, "notice").len(), 1);
}

#[test]
fn dropped_statements_get_a_footnote() {
    let database =
        pythreading_fakedb::FakeDatabase::with_delay(Duration::ZERO).timeline_capacity(4);
    database.update(0);
    let timeline = database.timeline();
    let svg = timeline.to_svg();
    check_structure(&timeline, &svg);
    let document = parse(&svg);
    let footnotes = with_class(&document, "footnote");
    assert_eq!(footnotes.len(), 1);
    assert!(
        footnotes[0]
            .text()
            .unwrap()
            .starts_with("2 later statements not recorded")
    );

    let nothing = pythreading_fakedb::FakeDatabase::with_delay(Duration::ZERO).timeline_capacity(0);
    nothing.update(0);
    let svg = nothing.timeline().to_svg();
    let document = parse(&svg);
    assert_eq!(with_class(&document, "footnote").len(), 1);
    assert_eq!(with_class(&document, "notice").len(), 1);
}

#[test]
fn titled_svg_escapes_its_title() {
    let timeline = Timeline::new(vec![event("t", 0, Step::Start, None, 0)], Duration::ZERO);
    let svg = timeline.to_svg_titled("a < b & c");
    let document = parse(&svg);
    let title = document
        .root_element()
        .children()
        .find(|n| n.tag_name().name() == "title")
        .unwrap();
    assert_eq!(title.text(), Some("a < b & c"));
}

#[test]
fn long_thread_names_widen_their_lane() {
    let short = Timeline::new(vec![event("t", 0, Step::Start, None, 0)], Duration::ZERO);
    let long_name = "a-very-long-thread-name-".repeat(5);
    let long = Timeline::new(
        vec![event(&long_name, 0, Step::Start, None, 0)],
        Duration::ZERO,
    );
    let lane_width = |svg: &str| -> f64 {
        let document = parse(svg);
        let lane = with_class(&document, "lane")[0];
        let frame = lane
            .children()
            .find(|n| n.tag_name().name() == "rect")
            .unwrap();
        frame.attribute("width").unwrap().parse().unwrap()
    };
    let (short, long) = (lane_width(&short.to_svg()), lane_width(&long.to_svg()));
    assert!(long > short);
    // At least about 6 pixels per character of the 10px name.
    assert!(long >= long_name.len() as f64 * 6.0, "{long}");
}

/// A number attribute of an element.
fn number(node: &Node<'_, '_>, attribute: &str) -> f64 {
    node.attribute(attribute)
        .unwrap_or_else(|| panic!("no {attribute}"))
        .parse()
        .unwrap()
}

/// The box (`<rect>`) of the event whose index is `index`.
fn event_box<'a, 'input>(document: &'a Document<'input>, index: usize) -> Node<'a, 'input> {
    let index = index.to_string();
    let event = with_class(document, "event")
        .into_iter()
        .find(|e| e.attribute("data-index") == Some(index.as_str()))
        .expect("the event is drawn");
    event
        .children()
        .find(|n| n.tag_name().name() == "rect")
        .expect("the event has a box")
}

/// An update interrupted in its sleep gets a box saying so, and its sleep
/// line and lock band end there, not at the next update's steps.
#[test]
fn an_interrupted_update_is_drawn_and_ends_its_sleep_and_its_lock() {
    let database = FakeDatabase::with_delay(Duration::from_millis(1));
    let token = CancellationToken::new();
    token.cancel();
    token.run(|| database.locked_update(0));
    database.locked_update(1);
    let timeline = database.timeline();
    let events = timeline.events();
    let interrupted = events
        .iter()
        .position(|e| e.step == Step::Interrupted)
        .expect("update 0 was interrupted");
    assert_eq!(events[interrupted].name, 0);
    assert!(interrupted + 1 < events.len(), "update 1 comes after it");

    let svg = timeline.to_svg();
    check_structure(&timeline, &svg);
    let document = parse(&svg);
    let interrupted_event = with_class(&document, "event")
        .into_iter()
        .find(|e| e.attribute("data-step") == Some("Interrupted"))
        .expect("the interrupt is drawn");
    assert!(
        interrupted_event
            .descendants()
            .any(|n| n.text() == Some("interrupted")),
        "the box says so"
    );
    let summary = with_class(&document, "summary")[0].text().unwrap();
    assert!(
        summary.starts_with("1 update finished, 1 update interrupted, "),
        "{summary}"
    );
    assert!(svg.contains("an update interrupted in its sleep"), "legend");

    let boxed = event_box(&document, interrupted);
    let (top, bottom) = (
        number(&boxed, "y"),
        number(&boxed, "y") + number(&boxed, "height"),
    );
    let next_top = number(&event_box(&document, interrupted + 1), "y");

    // The first sleep line is update 0's: it ends at the interrupt's box.
    let sleeps = with_class(&document, "sleep");
    assert_eq!(sleeps.len(), 2);
    assert_eq!(number(&sleeps[0], "y2"), top);

    // The first lock band is update 0's: it takes in the interrupt's box
    // and ends before the next row's.
    let locks = with_class(&document, "lock");
    assert_eq!(locks.len(), 2);
    let band_end = number(&locks[0], "y") + number(&locks[0], "height");
    assert!(
        bottom <= band_end && band_end <= next_top,
        "{bottom} <= {band_end} <= {next_top}"
    );

    // The table shows it too.
    let table = timeline.to_string();
    assert_eq!(table.matches("  interrupted").count(), 1, "{table}");
}

/// A timeline without interrupts draws exactly as before: no legend entry,
/// no count in the summary.
#[test]
fn no_interrupt_no_mark() {
    let database = FakeDatabase::with_delay(Duration::ZERO);
    database.locked_update(0);
    let svg = database.timeline().to_svg();
    assert!(!svg.contains("interrupted"), "{svg}");
}
