//! The report as one self-contained HTML page: inline style, charts as inline SVG, nothing
//! fetched. Every number the page shows carries it in a `data-` attribute too, so a test (or
//! a script) reads them back without parsing the text. Everything from the inputs is escaped.

use std::fmt::Write;

use apportion::{ManagerSummary, PlanSummary, UTILISATION_BINS};

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:2rem;color:#1d2433;background:#fff}\
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #d8dde6}\
.cards{display:flex;flex-wrap:wrap;gap:1rem}.card{background:#eef3fb;border-radius:.5rem;\
padding:.75rem 1rem;min-width:9rem}.card b{display:block;font-size:1.4rem}\
table{border-collapse:collapse;font-size:.9rem}td,th{padding:.25rem .6rem;text-align:left;\
border-bottom:1px solid #e6e9ef}td.n,th.n{text-align:right}.bar{background:#dfe6f2;width:8rem;\
height:.7rem;border-radius:.35rem}.bar span{display:block;height:100%;border-radius:.35rem;\
background:#3b6fd8}.full span{background:#d8643b}small{color:#5b6475}";

/// The page for `summary`, titled with `title`.
pub(crate) fn page(summary: &PlanSummary, title: &str) -> String {
    let mut html = String::new();
    let _ = write!(
        html,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title>\
         <style>{STYLE}</style></head><body>\n<h1>{}</h1>\n",
        escape(title),
        escape(title)
    );
    provenance(&mut html, summary);
    cards(&mut html, summary);
    html.push_str("<h2>Utilisation</h2>\n");
    html.push_str(&histogram(&summary.histogram));
    regions(&mut html, summary);
    groups(&mut html, summary);
    shadow_prices(&mut html, summary);
    unassigned(&mut html, summary);
    managers(&mut html, &summary.managers);
    html.push_str("</body></html>\n");
    html
}

/// Where the plan comes from, when it says.
fn provenance(html: &mut String, summary: &PlanSummary) {
    if let Some(p) = &summary.provenance {
        let _ = writeln!(
            html,
            "<p><small>apportion {} · as of {} · rulebook SHA-256 {} · move penalty {}, \
             balance {}</small></p>",
            escape(&p.engine_version),
            p.as_of,
            escape(&p.rulebook_sha256),
            p.policy.move_penalty,
            p.policy.balance
        );
    }
}

/// The headline numbers.
fn cards(html: &mut String, s: &PlanSummary) {
    let f = &s.fairness;
    let mut cards: Vec<(&str, &str, String)> = vec![
        ("assigned", "customers placed", s.assigned.to_string()),
        ("unassigned", "left out", s.unassigned.to_string()),
        ("moved", "change manager", s.moved.to_string()),
        (
            "paid_moves",
            "taken from a manager who stays",
            s.paid_moves.to_string(),
        ),
        ("min_utilisation", "lowest utilisation", percent(f.min)),
        ("max_utilisation", "highest utilisation", percent(f.max)),
        (
            "std_dev",
            "utilisation std dev (points)",
            format!("{:.1}", 100.0 * f.std_dev),
        ),
        ("gini", "Gini of utilisation", format!("{:.3}", f.gini)),
    ];
    if let Some(o) = &s.objective {
        cards.insert(0, ("objective", "objective", o.total.to_string()));
        if let Some(model) = o.model_scores {
            cards.insert(
                1,
                (
                    "model_scores",
                    "of it, the model's scores",
                    model.to_string(),
                ),
            );
        }
    }
    html.push_str("<div class=\"cards\">\n");
    for (stat, label, value) in cards {
        let _ = writeln!(
            html,
            "<div class=\"card\"><b data-stat=\"{stat}\">{value}</b>{label}</div>"
        );
    }
    html.push_str("</div>\n");
}

/// Managers per tenth of utilisation, as bars.
fn histogram(bins: &[usize]) -> String {
    let (width, height, bar) = (560, 200, 48);
    let top = bins.iter().copied().max().unwrap_or(0).max(1);
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{}\" \
         role=\"img\" aria-label=\"managers by utilisation\">\n",
        height + 40
    );
    for (i, &count) in bins.iter().enumerate() {
        let h = (count * height) / top;
        let x = 10 + i * (bar + 6);
        let y = height - h + 10;
        let _ = writeln!(
            svg,
            "<rect data-bin=\"{i}\" data-count=\"{count}\" x=\"{x}\" y=\"{y}\" width=\"{bar}\" \
             height=\"{h}\" fill=\"#3b6fd8\"/><text x=\"{}\" y=\"{}\" font-size=\"11\" \
             text-anchor=\"middle\">{count}</text><text x=\"{}\" y=\"{}\" font-size=\"10\" \
             text-anchor=\"middle\">{}–{}%</text>",
            x + bar / 2,
            y.saturating_sub(3).max(9),
            x + bar / 2,
            height + 26,
            i * 100 / UTILISATION_BINS,
            (i + 1) * 100 / UTILISATION_BINS
        );
    }
    svg.push_str("</svg>\n");
    svg
}

/// Balance per region: a table with a bar for each region's utilisation.
fn regions(html: &mut String, s: &PlanSummary) {
    if s.regions.is_empty() {
        return;
    }
    html.push_str(
        "<h2>Balance per region</h2>\n<table><tr><th>region</th><th class=\"n\">managers</th>\
         <th class=\"n\">customers</th><th class=\"n\">capacity</th><th>utilisation</th>\
         <th class=\"n\">lowest</th><th class=\"n\">highest</th></tr>\n",
    );
    for r in &s.regions {
        let _ = writeln!(
            html,
            "<tr data-region=\"{}\" data-load=\"{}\" data-capacity=\"{}\"><td>{}</td>\
             <td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td>\
             <td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            escape(&r.region),
            r.load,
            r.capacity,
            escape(&r.region),
            r.managers,
            r.load,
            r.capacity,
            bar(r.utilisation),
            percent(r.min_utilisation),
            percent(r.max_utilisation)
        );
    }
    html.push_str("</table>\n");
}

/// Balance per group of managers, each indented under its parent, when groups were given.
fn groups(html: &mut String, s: &PlanSummary) {
    if s.groups.is_empty() {
        return;
    }
    html.push_str(
        "<h2>Balance per group</h2>\n<table><tr><th>group</th><th class=\"n\">managers</th>\
         <th class=\"n\">customers</th><th class=\"n\">target</th><th class=\"n\">capacity</th>\
         <th>utilisation</th><th class=\"n\">lowest</th><th class=\"n\">highest</th></tr>\n",
    );
    for g in &s.groups {
        let target = g.target.map_or(String::new(), |t| t.to_string());
        let _ = writeln!(
            html,
            "<tr data-group=\"{}\" data-load=\"{}\" data-capacity=\"{}\"><td style=\"padding-left:{}rem\">{}</td>\
             <td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{target}</td>\
             <td class=\"n\">{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            escape(&g.group),
            g.load,
            g.capacity,
            0.6 + 1.2 * g.depth as f64,
            escape(&g.group),
            g.managers,
            g.load,
            g.capacity,
            bar(g.utilisation),
            percent(g.min_utilisation),
            percent(g.max_utilisation)
        );
    }
    html.push_str("</table>\n");
}

/// The places worth most: capacities and segment caps with a shadow price.
fn shadow_prices(html: &mut String, s: &PlanSummary) {
    let mut priced: Vec<(String, String, i64)> = Vec::new();
    for m in &s.managers {
        if let Some(price) = m.shadow_price.filter(|p| *p > 0) {
            priced.push((m.manager.clone(), String::new(), price));
        }
        for (segment, &price) in m.segment_shadow_prices.iter().filter(|(_, p)| **p > 0) {
            priced.push((m.manager.clone(), segment.clone(), price));
        }
    }
    html.push_str("<h2>Shadow prices</h2>\n");
    if s.managers.iter().all(|m| m.shadow_price.is_none()) {
        html.push_str("<p>Not in this plan: write the plan as JSON to have them.</p>\n");
        return;
    }
    if priced.is_empty() {
        html.push_str("<p>None: no capacity or segment cap holds the objective back.</p>\n");
        return;
    }
    priced.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| a.0.cmp(&b.0)));
    html.push_str(
        "<p>What one more place would save the objective.</p>\n<table><tr><th>manager</th>\
         <th>segment cap</th><th class=\"n\">price</th></tr>\n",
    );
    for (manager, segment, price) in &priced {
        let _ = writeln!(
            html,
            "<tr data-priced=\"{}\" data-segment=\"{}\" data-price=\"{price}\"><td>{}</td><td>{}</td>\
             <td class=\"n\">{price}</td></tr>",
            escape(manager),
            escape(segment),
            escape(manager),
            escape(segment)
        );
    }
    html.push_str("</table>\n");
}

/// The customers left out, by reason.
fn unassigned(html: &mut String, s: &PlanSummary) {
    html.push_str("<h2>Unassigned</h2>\n");
    if s.unassigned_by_reason.is_empty() {
        html.push_str("<p>Every customer is placed.</p>\n");
        return;
    }
    html.push_str("<table><tr><th>reason</th><th class=\"n\">customers</th></tr>\n");
    for (reason, count) in &s.unassigned_by_reason {
        let _ = writeln!(
            html,
            "<tr data-reason=\"{}\" data-count=\"{count}\"><td>{}</td><td class=\"n\">{count}</td></tr>",
            escape(reason),
            escape(reason)
        );
    }
    html.push_str("</table>\n");
}

/// Every manager: who, where, load against capacity, utilisation and shadow price.
fn managers(html: &mut String, managers: &[ManagerSummary]) {
    html.push_str(
        "<h2>Managers</h2>\n<table><tr><th>manager</th><th>name</th><th>region</th>\
         <th>branch</th><th class=\"n\">load</th><th class=\"n\">capacity</th>\
         <th>utilisation</th><th class=\"n\">shadow price</th></tr>\n",
    );
    let text = |v: &Option<String>| v.as_deref().map(escape).unwrap_or_default();
    for m in managers {
        let price = m.shadow_price.map_or(String::new(), |p| p.to_string());
        let _ = writeln!(
            html,
            "<tr data-manager=\"{}\" data-load=\"{}\" data-capacity=\"{}\" data-shadow-price=\"{price}\">\
             <td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
             <td>{}</td><td class=\"n\">{price}</td></tr>",
            escape(&m.manager),
            m.load,
            m.capacity,
            escape(&m.manager),
            text(&m.name),
            text(&m.region),
            text(&m.branch),
            m.load,
            m.capacity,
            bar(m.utilisation)
        );
    }
    html.push_str("</table>\n");
}

/// A utilisation bar with its percentage; a full manager's in another colour.
fn bar(utilisation: f64) -> String {
    let width = (100.0 * utilisation).clamp(0.0, 100.0);
    let class = if utilisation >= 1.0 {
        "bar full"
    } else {
        "bar"
    };
    format!(
        "<div class=\"{class}\" title=\"{}\"><span style=\"width:{width:.0}%\"></span></div>",
        percent(utilisation)
    )
}

fn percent(share: f64) -> String {
    format!("{:.1}%", 100.0 * share)
}

/// `text` safe inside HTML text and attribute values.
pub(crate) fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            other => escaped.push(other),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn text_from_the_inputs_cannot_open_a_tag_or_close_an_attribute() {
        assert_eq!(
            escape("<b a=\"1\">O'Brien & co</b>"),
            "&lt;b a=&quot;1&quot;&gt;O&#39;Brien &amp; co&lt;/b&gt;"
        );
    }
}
