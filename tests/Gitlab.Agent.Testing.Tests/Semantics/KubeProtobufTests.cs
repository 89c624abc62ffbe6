using System.Text;
using Gitlab.Agent.Testing.Semantics;
using Google.Protobuf;

namespace Gitlab.Agent.Testing.Tests.Semantics;

public class KubeProtobufTests
{
    /// <summary>Writes protobuf fields with Google.Protobuf's encoder, gogo style (every non-pointer field).</summary>
    private sealed class Pb
    {
        private readonly MemoryStream _stream = new();
        private readonly CodedOutputStream _output;

        public Pb() => _output = new CodedOutputStream(_stream, leaveOpen: true);

        public Pb Str(int field, string value)
        {
            _output.WriteTag(field, WireFormat.WireType.LengthDelimited);
            _output.WriteString(value);
            return this;
        }

        public Pb Bytes(int field, byte[] value)
        {
            _output.WriteTag(field, WireFormat.WireType.LengthDelimited);
            _output.WriteBytes(ByteString.CopyFrom(value));
            return this;
        }

        public Pb Varint(int field, long value)
        {
            _output.WriteTag(field, WireFormat.WireType.Varint);
            _output.WriteInt64(value);
            return this;
        }

        public Pb Msg(int field, Pb message) => Bytes(field, message.ToArray());

        public Pb Entry(int field, string key, string value) => Msg(field, new Pb().Str(1, key).Str(2, value));

        public Pb Entry(int field, string key, byte[] value) => Msg(field, new Pb().Str(1, key).Bytes(2, value));

        public byte[] ToArray()
        {
            _output.Flush();
            return _stream.ToArray();
        }
    }

    /// <summary>ObjectMeta as gogo writes it: all plain fields, empty ones included.</summary>
    private static Pb Meta(string name, string ns = "", Action<Pb>? extra = null)
    {
        var meta = new Pb().Str(1, name).Str(2, "").Str(3, ns).Str(4, "").Str(5, "").Str(6, "").Varint(7, 0).Msg(8, new Pb());
        extra?.Invoke(meta);
        return meta;
    }

    private static byte[] Envelope(string apiVersion, string kind, Pb raw)
    {
        var unknown = new Pb()
            .Msg(1, new Pb().Str(1, apiVersion).Str(2, kind))
            .Msg(2, raw)
            .Str(3, "")
            .Str(4, "");
        return [.. "k8s\0"u8.ToArray(), .. unknown.ToArray()];
    }

    [Fact]
    public void DecodesTheBodyKubectlSentForCreateNamespace()
    {
        // Bytes of `kubectl create namespace y` as captured from kubectl 1.32.4 (reference §2.7).
        byte[] body =
        [
            0x6b, 0x38, 0x73, 0x00,
            0x0a, 0x0f, 0x0a, 0x02, (byte)'v', (byte)'1', 0x12, 0x09, .. "Namespace"u8.ToArray(),
            0x12, 0x19,
            0x0a, 0x11, 0x0a, 0x01, (byte)'y', 0x12, 0x00, 0x1a, 0x00, 0x22, 0x00, 0x2a, 0x00, 0x32, 0x00, 0x38, 0x00, 0x42, 0x00,
            0x12, 0x00,
            0x1a, 0x02, 0x0a, 0x00,
            0x1a, 0x00, 0x22, 0x00,
        ];
        Assert.True(KubeProtobuf.IsEnvelope(body));
        Json.SameText("""{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"y"}}""", KubeProtobuf.DecodeEnvelope(body));
        Assert.Equal(body, Envelope("v1", "Namespace", new Pb().Msg(1, Meta("y")).Msg(2, new Pb()).Msg(3, new Pb().Str(1, ""))));
    }

    [Fact]
    public void IsEnvelopeChecksTheMagic()
    {
        Assert.False(KubeProtobuf.IsEnvelope("{\"kind\":\"Namespace\"}"u8));
        Assert.False(KubeProtobuf.IsEnvelope("k8s"u8));
        Assert.True(KubeProtobuf.IsEnvelope("k8s\0"u8));
        Assert.Throws<FormatException>(() => KubeProtobuf.DecodeEnvelope("{}"u8));
    }

    [Fact]
    public void DecodesConfigMapWithDataBinaryDataLabelsAndAnnotations()
    {
        var raw = new Pb()
            .Msg(1, Meta("cfg", "x", m => m.Entry(11, "app", "web").Entry(12, "note", "a b")))
            .Entry(2, "key", "value1").Entry(2, "empty", "")
            .Entry(3, "bin", [0x00, 0xff]);
        Json.SameText("""
            {"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cfg","namespace":"x","labels":{"app":"web"},"annotations":{"note":"a b"}},
             "data":{"key":"value1","empty":""},"binaryData":{"bin":"AP8="}}
            """, KubeProtobuf.DecodeEnvelope(Envelope("v1", "ConfigMap", raw)));
    }

    [Fact]
    public void DecodesSecretBytesAsBase64()
    {
        var raw = new Pb()
            .Msg(1, Meta("s", "x"))
            .Entry(2, "password", Encoding.UTF8.GetBytes("hunter2"))
            .Str(3, "Opaque")
            .Entry(4, "plain", "text");
        Json.SameText("""
            {"apiVersion":"v1","kind":"Secret","metadata":{"name":"s","namespace":"x"},"data":{"password":"aHVudGVyMg=="},"type":"Opaque","stringData":{"plain":"text"}}
            """, KubeProtobuf.DecodeEnvelope(Envelope("v1", "Secret", raw)));
    }

    [Fact]
    public void DecodesKubectlCreateDeployment()
    {
        // kubectl create deployment web --image=nginx --replicas=2 --port=80
        var labels = new Pb().Entry(1, "app", "web");
        var container = new Pb().Str(1, "nginx").Str(2, "nginx").Str(5, "")
            .Msg(6, new Pb().Str(1, "").Varint(2, 0).Varint(3, 80).Str(4, "").Str(5, ""))
            .Msg(8, new Pb()).Str(13, "").Str(14, "").Varint(16, 0).Varint(17, 0).Varint(18, 0).Str(20, "");
        var podSpec = new Pb().Msg(2, container).Str(3, "").Str(6, "").Str(8, "").Str(9, "").Str(10, "")
            .Varint(11, 0).Varint(12, 0).Varint(13, 0).Str(16, "").Str(17, "").Str(19, "");
        var spec = new Pb()
            .Varint(1, 2)
            .Msg(2, labels)
            .Msg(3, new Pb().Msg(1, Meta("", extra: m => m.Entry(11, "app", "web"))).Msg(2, podSpec))
            .Msg(4, new Pb().Str(1, ""))
            .Varint(5, 0).Varint(7, 0);
        var raw = new Pb().Msg(1, Meta("web", "x", m => m.Entry(11, "app", "web"))).Msg(2, spec).Msg(3, new Pb().Varint(1, 0));
        Json.SameText("""
            {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"x","labels":{"app":"web"}},
             "spec":{"replicas":2,"selector":{"matchLabels":{"app":"web"}},
              "template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"name":"nginx","image":"nginx","ports":[{"containerPort":80}]}]}}}}
            """, KubeProtobuf.DecodeEnvelope(Envelope("apps/v1", "Deployment", raw)));
    }

    [Fact]
    public void DecodesExplicitZeroOfPointerFields()
    {
        var raw = new Pb().Msg(1, Meta("web")).Msg(2, new Pb().Varint(1, 0).Msg(4, new Pb().Str(1, "Recreate")));
        Json.SameText("""{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},"spec":{"replicas":0,"strategy":{"type":"Recreate"}}}""",
            KubeProtobuf.DecodeEnvelope(Envelope("apps/v1", "Deployment", raw)));
    }

    [Fact]
    public void DecodesServiceAccount()
    {
        var raw = new Pb().Msg(1, Meta("builder", "x")).Msg(3, new Pb().Str(1, "regcred"));
        Json.SameText("""{"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":"builder","namespace":"x"},"imagePullSecrets":[{"name":"regcred"}]}""",
            KubeProtobuf.DecodeEnvelope(Envelope("v1", "ServiceAccount", raw)));
    }

    [Fact]
    public void DecodesSelfSubjectAccessReviewOfAuthCanI()
    {
        // kubectl auth can-i create deployments -n x
        var attributes = new Pb().Str(1, "x").Str(2, "create").Str(3, "apps").Str(4, "").Str(5, "deployments").Str(6, "").Str(7, "");
        var raw = new Pb().Msg(1, Meta("")).Msg(2, new Pb().Msg(1, attributes)).Msg(3, new Pb().Varint(1, 0).Str(2, "").Str(3, "").Varint(4, 0));
        Json.SameText("""
            {"apiVersion":"authorization.k8s.io/v1","kind":"SelfSubjectAccessReview","metadata":{},
             "spec":{"resourceAttributes":{"namespace":"x","verb":"create","group":"apps","resource":"deployments"}}}
            """, KubeProtobuf.DecodeEnvelope(Envelope("authorization.k8s.io/v1", "SelfSubjectAccessReview", raw)));
    }

    [Fact]
    public void DecodesNonResourceAccessReviewAndRulesReview()
    {
        var ssar = new Pb().Msg(1, Meta("")).Msg(2, new Pb().Msg(2, new Pb().Str(1, "/healthz").Str(2, "get")));
        Json.SameText("""{"apiVersion":"authorization.k8s.io/v1","kind":"SelfSubjectAccessReview","metadata":{},"spec":{"nonResourceAttributes":{"path":"/healthz","verb":"get"}}}""",
            KubeProtobuf.DecodeEnvelope(Envelope("authorization.k8s.io/v1", "SelfSubjectAccessReview", ssar)));
        var ssrr = new Pb().Msg(1, Meta("")).Msg(2, new Pb().Str(1, "x")).Msg(3, new Pb().Varint(3, 0).Str(4, ""));
        Json.SameText("""{"apiVersion":"authorization.k8s.io/v1","kind":"SelfSubjectRulesReview","metadata":{},"spec":{"namespace":"x"}}""",
            KubeProtobuf.DecodeEnvelope(Envelope("authorization.k8s.io/v1", "SelfSubjectRulesReview", ssrr)));
    }

    [Fact]
    public void DecodesRbacObjects()
    {
        var role = new Pb().Msg(1, Meta("reader", "x"))
            .Msg(2, new Pb().Str(1, "get").Str(1, "list").Str(2, "").Str(3, "pods").Str(3, "pods/log"));
        Json.SameText("""
            {"apiVersion":"rbac.authorization.k8s.io/v1","kind":"Role","metadata":{"name":"reader","namespace":"x"},
             "rules":[{"verbs":["get","list"],"apiGroups":[""],"resources":["pods","pods/log"]}]}
            """, KubeProtobuf.DecodeEnvelope(Envelope("rbac.authorization.k8s.io/v1", "Role", role)));
        var binding = new Pb().Msg(1, Meta("rb", "x"))
            .Msg(2, new Pb().Str(1, "ServiceAccount").Str(2, "").Str(3, "builder").Str(4, "x"))
            .Msg(3, new Pb().Str(1, "rbac.authorization.k8s.io").Str(2, "Role").Str(3, "reader"));
        Json.SameText("""
            {"apiVersion":"rbac.authorization.k8s.io/v1","kind":"RoleBinding","metadata":{"name":"rb","namespace":"x"},
             "subjects":[{"kind":"ServiceAccount","name":"builder","namespace":"x"}],
             "roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":"reader"}}
            """, KubeProtobuf.DecodeEnvelope(Envelope("rbac.authorization.k8s.io/v1", "RoleBinding", binding)));
    }

    [Fact]
    public void DecodesTimesAndOwnerReferences()
    {
        var meta = Meta("cfg", "x", m => m
            .Msg(9, new Pb().Varint(1, 1735787045))
            .Msg(13, new Pb().Str(1, "Deployment").Str(3, "web").Str(4, "uid-1").Str(5, "apps/v1").Varint(6, 1))
            .Str(14, "example.com/f"));
        Json.SameText("""
            {"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cfg","namespace":"x","deletionTimestamp":"2025-01-02T03:04:05Z",
             "ownerReferences":[{"kind":"Deployment","name":"web","uid":"uid-1","apiVersion":"apps/v1","controller":true}],"finalizers":["example.com/f"]}}
            """, KubeProtobuf.DecodeEnvelope(Envelope("v1", "ConfigMap", new Pb().Msg(1, meta))));
    }

    [Fact]
    public void DecodesKubectlCreateJobAndCronJob()
    {
        // kubectl create cronjob backup --image=busybox --schedule="*/5 * * * *" -- date
        var container = new Pb().Str(1, "backup").Str(2, "busybox").Str(3, "date").Msg(8, new Pb());
        var template = new Pb().Msg(1, Meta("")).Msg(2, new Pb().Msg(2, container).Str(3, "OnFailure"));
        var jobSpec = new Pb().Msg(6, template);
        var cron = new Pb().Msg(1, Meta("backup", "x"))
            .Msg(2, new Pb().Str(1, "*/5 * * * *").Str(3, "").Msg(5, new Pb().Msg(1, Meta("backup")).Msg(2, jobSpec)));
        Json.SameText("""
            {"apiVersion":"batch/v1","kind":"CronJob","metadata":{"name":"backup","namespace":"x"},
             "spec":{"schedule":"*/5 * * * *","jobTemplate":{"metadata":{"name":"backup"},"spec":{"template":{"spec":{"containers":[{"name":"backup","image":"busybox","command":["date"]}],"restartPolicy":"OnFailure"}}}}}}
            """, KubeProtobuf.DecodeEnvelope(Envelope("batch/v1", "CronJob", cron)));
        var job = new Pb().Msg(1, Meta("once", "x")).Msg(2, new Pb().Msg(6, template));
        Json.SameText("""
            {"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"once","namespace":"x"},
             "spec":{"template":{"spec":{"containers":[{"name":"backup","image":"busybox","command":["date"]}],"restartPolicy":"OnFailure"}}}}
            """, KubeProtobuf.DecodeEnvelope(Envelope("batch/v1", "Job", job)));
    }

    [Fact]
    public void RefusesKindsItDoesNotKnow()
    {
        var error = Assert.Throws<NotSupportedException>(() => KubeProtobuf.DecodeEnvelope(Envelope("apps/v1", "StatefulSet", new Pb().Msg(1, Meta("s")))));
        Assert.Contains("kind StatefulSet", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RefusesNonEmptyFieldsItDoesNotKnowInsteadOfDroppingThem()
    {
        // PodSpec.volumes (1) is not in the tables; an empty one is fine, a real one is refused.
        var podSpec = new Pb().Msg(1, new Pb().Str(1, "data"));
        var raw = new Pb().Msg(1, Meta("p")).Msg(2, podSpec);
        var error = Assert.Throws<NotSupportedException>(() => KubeProtobuf.DecodeEnvelope(Envelope("v1", "Pod", raw)));
        Assert.Contains("kind Pod", error.Message, StringComparison.Ordinal);
        Assert.Contains("field 1 of PodSpec at spec", error.Message, StringComparison.Ordinal);
        var empty = new Pb().Msg(1, Meta("p")).Msg(2, new Pb().Msg(1, new Pb().Str(1, "")).Msg(2, new Pb().Str(1, "c").Str(2, "busybox")));
        Json.SameText("""{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[{"name":"c","image":"busybox"}]}}""",
            KubeProtobuf.DecodeEnvelope(Envelope("v1", "Pod", empty)));
    }

    [Fact]
    public void RejectsTruncatedBodies()
    {
        var body = Envelope("v1", "ConfigMap", new Pb().Msg(1, Meta("cfg")));
        Assert.Throws<FormatException>(() => KubeProtobuf.DecodeEnvelope(body.AsSpan(0, body.Length - 3)));
    }
}
