using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using Gitlab.Agent.Management.Graphql;

namespace Gitlab.Agent.Management;

/// <summary>A small HTML writer: every text goes through <see cref="HtmlEncoder"/>.</summary>
internal sealed class Html
{
    private readonly StringBuilder _sb = new();

    public static string Encode(string? text) => HtmlEncoder.Default.Encode(text ?? string.Empty);

    /// <summary>Appends trusted markup (never user data).</summary>
    public Html Raw(string markup)
    {
        _sb.Append(markup);
        return this;
    }

    /// <summary>Appends encoded text.</summary>
    public Html Text(string? text)
    {
        _sb.Append(Encode(text));
        return this;
    }

    public Html Element(string tag, string? text, string? cssClass = null, string? testId = null)
    {
        _sb.Append('<').Append(tag);
        Attributes(cssClass, testId);
        _sb.Append('>').Append(Encode(text)).Append("</").Append(tag).Append('>');
        return this;
    }

    public Html Link(string href, string? text, string? testId = null)
    {
        _sb.Append("<a href=\"").Append(Encode(href)).Append('"');
        Attributes(null, testId);
        _sb.Append('>').Append(Encode(text)).Append("</a>");
        return this;
    }

    public Html Badge(string text, string? testId = null) =>
        Element("span", text, "badge " + text.ToLowerInvariant().Replace(' ', '-').Replace("_", string.Empty, StringComparison.Ordinal), testId);

    public Html Time(DateTimeOffset? time)
    {
        if (time is not { } t)
        {
            return Element("span", "never", "muted");
        }

        var iso = TimeGraphType.Format(t);
        _sb.Append("<time datetime=\"").Append(iso).Append("\">")
            .Append(Encode(t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture)))
            .Append("<span class=\"rel\"></span></time>");
        return this;
    }

    public Html Code(string? text) => Element("code", text);

    /// <summary>A table: header cells, then one row per item written by <paramref name="row"/> (which writes the <c>td</c>s).</summary>
    public Html Table<T>(IEnumerable<T> items, string testId, string[] headers, Action<Html, T> row, string empty)
    {
        var list = items.ToList();
        if (list.Count == 0)
        {
            return Element("p", empty, "muted", testId + "-empty");
        }

        _sb.Append("<table data-testid=\"").Append(Encode(testId)).Append("\"><thead><tr>");
        foreach (var header in headers)
        {
            _sb.Append("<th>").Append(Encode(header)).Append("</th>");
        }

        _sb.Append("</tr></thead><tbody>");
        foreach (var item in list)
        {
            _sb.Append("<tr>");
            row(this, item);
            _sb.Append("</tr>");
        }

        _sb.Append("</tbody></table>");
        return this;
    }

    /// <summary>A table cell with encoded text.</summary>
    public Html Cell(string? text) => Element("td", text);

    /// <summary>A table cell whose content <paramref name="content"/> writes.</summary>
    public Html Cell(Action<Html> content)
    {
        _sb.Append("<td>");
        content(this);
        _sb.Append("</td>");
        return this;
    }

    public override string ToString() => _sb.ToString();

    private void Attributes(string? cssClass, string? testId)
    {
        if (cssClass is not null)
        {
            _sb.Append(" class=\"").Append(Encode(cssClass)).Append('"');
        }

        if (testId is not null)
        {
            _sb.Append(" data-testid=\"").Append(Encode(testId)).Append('"');
        }
    }
}
