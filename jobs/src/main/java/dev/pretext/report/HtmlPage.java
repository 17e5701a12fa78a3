package dev.pretext.report;

import java.util.Base64;
import java.util.List;

/**
 * A self-contained HTML page: styles and the one script inline, images as {@code data:} URIs, no
 * reference to anything outside the file, so it opens from disk with no server and no network.
 * The markup is also well-formed XML (every element closed, attributes quoted, only the five XML
 * entities), so tests can parse it with the JDK's XML parser. The script marks the page when a plot
 * did not render or a script error occurred: a visible error line at the top, and attributes on
 * {@code #render-check} that the browser test reads.
 */
final class HtmlPage {
    private static final String STYLE = """
            body { font-family: sans-serif; margin: 24px auto; max-width: 1240px; color: #222; padding: 0 16px; }
            h1 { font-size: 24px; } h2 { font-size: 19px; border-bottom: 1px solid #ccc; padding-bottom: 4px; margin-top: 32px; }
            table { border-collapse: collapse; margin: 8px 0; font-size: 14px; }
            th, td { border: 1px solid #ccc; padding: 3px 8px; text-align: right; }
            th { background: #f2f2f2; } td.name, th.name { text-align: left; }
            tr.sub td.name { padding-left: 24px; color: #555; }
            .grid { display: flex; flex-wrap: wrap; gap: 12px; }
            figure { margin: 0; } figure img { max-width: 100%; border: 1px solid #ddd; }
            figcaption { font-size: 13px; color: #555; max-width: 620px; }
            pre { background: #f7f7f7; border: 1px solid #ddd; padding: 8px; overflow: auto; font-size: 12px; max-height: 480px; }
            .note { color: #555; font-style: italic; } .warning { color: #8a5a00; font-weight: bold; }
            .error { color: #b00020; font-weight: bold; } nav a { margin-right: 12px; }
            """;
    /** No '<' or '&' in it: it stays well-formed XML without a CDATA section. */
    private static final String CHECK = """
            (function () {
              var errors = [];
              window.addEventListener('error', function (e) { errors.push(String(e.message)); });
              window.addEventListener('load', function () {
                var broken = [];
                var imgs = document.querySelectorAll('img');
                imgs.forEach(function (img) {
                  if (!img.complete || img.naturalWidth === 0) { broken.push(img.getAttribute('data-plot') || img.alt); }
                });
                var check = document.getElementById('render-check');
                if (broken.length) {
                  var p = document.createElement('p');
                  p.className = 'error';
                  p.textContent = 'plots that did not render: ' + broken.join(', ');
                  document.body.insertBefore(p, document.body.firstChild);
                }
                check.setAttribute('data-images', String(imgs.length));
                check.setAttribute('data-broken', broken.join(','));
                check.setAttribute('data-errors', errors.join(' | '));
                check.setAttribute('data-done', 'true');
              });
            })();
            """;

    private final StringBuilder body = new StringBuilder();
    private final String title;

    HtmlPage(String title) {
        this.title = title;
    }

    static String esc(String s) {
        if (s == null) {
            return "";
        }
        StringBuilder sb = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            switch (c) {
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '&' -> sb.append("&amp;");
                case '"' -> sb.append("&quot;");
                case '\'' -> sb.append("&#39;");
                default -> {
                    // XML 1.0 allows no other control characters
                    if (c >= 0x20 || c == '\n' || c == '\r' || c == '\t') {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.toString();
    }

    HtmlPage raw(String html) {
        body.append(html);
        return this;
    }

    HtmlPage h1(String text) {
        return raw("<h1>" + esc(text) + "</h1>\n");
    }

    HtmlPage section(String id, String heading) {
        return raw("<h2 id=\"" + esc(id) + "\">" + esc(heading) + "</h2>\n");
    }

    HtmlPage p(String cssClass, String text) {
        return raw("<p" + (cssClass == null ? "" : " class=\"" + esc(cssClass) + "\"") + ">" + esc(text) + "</p>\n");
    }

    HtmlPage pre(String text) {
        return raw("<pre>" + esc(text) + "</pre>\n");
    }

    /** A table: first row the header; cells of the first column left-aligned (names). */
    HtmlPage table(List<String[]> rows, List<String> rowClasses) {
        StringBuilder sb = new StringBuilder("<table>\n");
        for (int r = 0; r < rows.size(); r++) {
            String cls = rowClasses == null || rowClasses.get(r) == null ? "" : " class=\"" + esc(rowClasses.get(r)) + "\"";
            sb.append("<tr").append(cls).append('>');
            String[] cells = rows.get(r);
            for (int c = 0; c < cells.length; c++) {
                String tag = r == 0 ? "th" : "td";
                sb.append('<').append(tag).append(c == 0 ? " class=\"name\"" : "").append('>').append(esc(cells[c]))
                        .append("</").append(tag).append('>');
            }
            sb.append("</tr>\n");
        }
        return raw(sb.append("</table>\n").toString());
    }

    /** Figures side by side, each a PNG inlined as a data URI with its caption. */
    HtmlPage figures(List<ReportWriter.Figure> figures) {
        StringBuilder sb = new StringBuilder("<div class=\"grid\">\n");
        for (ReportWriter.Figure f : figures) {
            sb.append("<figure><img data-plot=\"").append(esc(f.file())).append("\" alt=\"").append(esc(f.title()))
                    .append("\" src=\"data:image/png;base64,").append(Base64.getEncoder().encodeToString(f.png()))
                    .append("\"/>");
            if (f.caption() != null) {
                sb.append("<figcaption>").append(esc(f.caption())).append("</figcaption>");
            }
            sb.append("</figure>\n");
        }
        return raw(sb.append("</div>\n").toString());
    }

    String render() {
        return "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n"
                + "<meta name=\"generator\" content=\"Pretext\"/>\n<title>" + esc(title) + "</title>\n<style>\n" + STYLE
                + "</style>\n<script>\n" + CHECK + "</script>\n</head>\n<body>\n" + body
                + "<div id=\"render-check\" hidden=\"hidden\"></div>\n</body>\n</html>\n";
    }
}
