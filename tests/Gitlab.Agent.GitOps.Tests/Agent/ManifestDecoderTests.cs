using System.Text;
using System.Text.Json.Nodes;
using Gitlab.Agent.GitOps.Agent;

namespace Gitlab.Agent.GitOps.Tests.Agent;

public class ManifestDecoderTests
{
    private static (List<ManifestObject> Objects, List<ManifestError> Errors) Decode(string source, string text) =>
        ManifestDecoder.Decode(source, Encoding.UTF8.GetBytes(text));

    [Fact]
    public void Multi_document_yaml_with_empty_documents()
    {
        var (objects, errors) = Decode("m.yaml", """
            ---
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: a
            data:
              quoted: "123"
              plain: 123
              yes: yes
              flag: true
              nothing: ~
            ---
            # only a comment
            ---
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: b
              namespace: ns
            """);
        Assert.Empty(errors);
        Assert.Equal(2, objects.Count);
        var data = (JsonObject)objects[0].Object["data"]!;
        Assert.Equal("123", data["quoted"]!.GetValue<string>());
        Assert.Equal(123, data["plain"]!.GetValue<long>());
        Assert.Equal("yes", data["yes"]!.GetValue<string>()); // YAML 1.2: yes is a string
        Assert.True(data["flag"]!.GetValue<bool>());
        Assert.True(data.ContainsKey("nothing"));
        Assert.Null(data["nothing"]);
        Assert.Equal(2, objects[0].Line);
        Assert.Equal(new ObjectId("apps", "Deployment", "ns", "b"), objects[1].Id);
        Assert.Equal(15, objects[1].Line);
    }

    [Fact]
    public void Scalars_follow_yaml_1_2_core_schema()
    {
        var (objects, errors) = Decode("s.yaml", """
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: s}
            v:
              float: 1.5
              exp: 1e3
              octal: 0o17
              hex: 0x1F
              leadingZero: 017
              single: '1.5'
              version: 1.10.0
              inf: .inf
              on: on
              tagged: !!str 42
              big: 123456789012345678901234
            """);
        Assert.Empty(errors);
        var v = (JsonObject)objects[0].Object["v"]!;
        Assert.Equal(1.5, v["float"]!.GetValue<double>());
        Assert.Equal(1000d, v["exp"]!.GetValue<double>());
        Assert.Equal(15, v["octal"]!.GetValue<long>());
        Assert.Equal(31, v["hex"]!.GetValue<long>());
        Assert.Equal(17, v["leadingZero"]!.GetValue<long>());
        Assert.Equal("1.5", v["single"]!.GetValue<string>());
        Assert.Equal("1.10.0", v["version"]!.GetValue<string>());
        Assert.Equal(".inf", v["inf"]!.GetValue<string>());
        Assert.Equal("on", v["on"]!.GetValue<string>());
        Assert.Equal("42", v["tagged"]!.GetValue<string>());
        Assert.Equal(123456789012345678901234m, v["big"]!.GetValue<decimal>());
    }

    [Fact]
    public void Anchors_aliases_and_merge_keys()
    {
        var (objects, errors) = Decode("a.yaml", """
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: a
              labels: &labels
                app: x
                tier: web
            data:
              <<: *labels
              tier: db
            """);
        Assert.Empty(errors);
        var data = (JsonObject)objects[0].Object["data"]!;
        Assert.Equal("x", data["app"]!.GetValue<string>());
        Assert.Equal("db", data["tier"]!.GetValue<string>());
        Assert.Equal("web", objects[0].Object["metadata"]!["labels"]!["tier"]!.GetValue<string>());
    }

    [Fact]
    public void List_kinds_are_flattened_with_item_lines()
    {
        var (objects, errors) = Decode("l.yaml", """
            apiVersion: v1
            kind: List
            items:
            - apiVersion: v1
              kind: ConfigMap
              metadata: {name: one}
            - apiVersion: v1
              kind: ConfigMapList
              items:
              - apiVersion: v1
                kind: ConfigMap
                metadata: {name: two}
            """);
        Assert.Empty(errors);
        Assert.Equal(["one", "two"], objects.Select(o => o.Name));
        Assert.Equal(4, objects[0].Line);
        Assert.Equal(10, objects[1].Line);
    }

    [Fact]
    public void Json_files_with_one_or_more_values()
    {
        var (objects, errors) = Decode("x.json", "{\n\t\"apiVersion\": \"v1\",\n\t\"kind\": \"ConfigMap\",\n\t\"metadata\": {\"name\": \"a\"}\n}\n{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"b\"}}");
        Assert.Empty(errors);
        Assert.Equal(["ConfigMap", "Secret"], objects.Select(o => o.Kind));
        Assert.Equal(6, objects[1].Line);
    }

    [Fact]
    public void Yaml_syntax_error_names_file_and_line()
    {
        var (_, errors) = Decode("bad.yaml", """
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: a
               broken: [
            """);
        var error = Assert.Single(errors);
        Assert.Equal("bad.yaml", error.Source);
        Assert.InRange(error.Line, 4, 6);
        Assert.StartsWith("bad.yaml:", error.ToString(), StringComparison.Ordinal);
        Assert.Contains("invalid YAML", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Json_syntax_error_names_file_and_line()
    {
        var (_, errors) = Decode("bad.json", "{\n  \"apiVersion\": \"v1\",\n  \"kind\": \n}");
        var error = Assert.Single(errors);
        Assert.Equal(4, error.Line);
        Assert.Contains("invalid JSON", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("kind: ConfigMap\nmetadata: {name: a}", "apiVersion is missing")]
    [InlineData("apiVersion: v1\nmetadata: {name: a}", "kind is missing")]
    [InlineData("apiVersion: v1\nkind: ConfigMap", "metadata is missing")]
    [InlineData("apiVersion: v1\nkind: ConfigMap\nmetadata: {generateName: a-}", "metadata.name is missing")]
    [InlineData("- a\n- b", "found a sequence")]
    [InlineData("just a string", "found a string")]
    [InlineData("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\nkind: Secret", "defined twice")]
    [InlineData("a: *nope", "unknown anchor")]
    public void Invalid_objects_are_errors_with_a_reason(string text, string reason)
    {
        var (objects, errors) = Decode("f.yaml", text);
        Assert.Empty(objects);
        var error = Assert.Single(errors);
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
        Assert.Equal("f.yaml", error.Source);
        Assert.True(error.Line >= 1);
    }

    [Fact]
    public void A_bad_document_does_not_hide_good_documents_before_it()
    {
        var (objects, errors) = Decode("m.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\nkind: X\n");
        Assert.Single(objects);
        var error = Assert.Single(errors);
        Assert.Equal(5, error.Line);
    }
}
