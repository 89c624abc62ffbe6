using System.IO.Compression;
using Gitlab.Agent.Kas.Authentication;
using Grpc.AspNetCore.Server;
using Grpc.Net.Compression;
using Microsoft.Extensions.Options;

namespace Gitlab.Agent.Kas;

/// <summary>gRPC server settings: message size limit (<c>limits.max_message_size</c>), gzip, agent authentication interceptor.</summary>
internal sealed class KasGrpcSetup(KasRuntimeSettings settings) : IConfigureOptions<GrpcServiceOptions>
{
    public void Configure(GrpcServiceOptions options)
    {
        options.MaxReceiveMessageSize = settings.MaxMessageSize;
        options.MaxSendMessageSize = settings.MaxMessageSize;
        if (!options.CompressionProviders.Any(p => p.EncodingName == "gzip"))
        {
            options.CompressionProviders.Add(new GzipCompressionProvider(CompressionLevel.Fastest));
        }

        if (!options.Interceptors.Any(i => i.Type == typeof(AgentAuthInterceptor)))
        {
            options.Interceptors.Add<AgentAuthInterceptor>();
        }
    }
}
