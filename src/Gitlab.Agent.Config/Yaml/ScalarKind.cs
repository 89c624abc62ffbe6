namespace Gitlab.Agent.Config.Yaml;

/// <summary>YAML 1.2 core-schema scalar types.</summary>
internal enum ScalarKind
{
    Null,
    Bool,
    Int,
    Float,
    String,
}
