using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;

namespace ModerationConsole.Ingest;

public static class IngestRegistration
{
    public static WebApplicationBuilder AddIngest(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<IngestOptions>().Bind(builder.Configuration.GetSection(IngestOptions.Section))
            .ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<IngestStore>();
        builder.Services.AddSingleton<IngestService>();
        builder.Services.AddSingleton<ProducerConnections>();
        builder.Services.AddHostedService(services => services.GetRequiredService<ProducerConnections>());
        builder.Services.AddSingleton(services => new SubmissionJsonConverters(services.GetRequiredService<IOptions<IngestOptions>>().Value));
        // The hub's arguments are read straight from the message (SubmittedGeneration, SubmittedBatch).
        builder.Services.AddOptions<JsonHubProtocolOptions>()
            .Configure<SubmissionJsonConverters>((json, converters) => converters.AddTo(json.PayloadSerializerOptions));

        var configured = builder.Configuration.GetSection(IngestOptions.Section).Get<IngestOptions>() ?? new IngestOptions();
        var maxMessage = configured.MaxMessageBytes;
        Imaging.DecodeBudget.Configure(configured.DecodeBudgetBytes);
        // MessagePack is offered beside JSON (PRODUCT.md): images travel as bytes, with the contract's names (IngestMessagePack).
        builder.Services.AddOptions<MessagePackHubProtocolOptions>()
            .Configure<IOptions<IngestOptions>>((protocol, ingest) => protocol.SerializerOptions = IngestMessagePack.SerializerOptions(ingest.Value));
        builder.Services.AddSignalR().AddMessagePackProtocol().AddHubOptions<IngestHub>(options =>
        {
            // Raised on purpose: SignalR's 32 KB default would refuse any real image (see IngestOptions.MaxMessageBytes).
            options.MaximumReceiveMessageSize = maxMessage;
            options.EnableDetailedErrors = false;
        });
        // JSON as SignalR writes it, read without searching a large message again on every read (ResumingJsonHubProtocol).
        builder.Services.AddSingleton<IHubProtocolResolver, ConsoleHubProtocolResolver>();
        builder.AddProducerApiDocument();
        return builder;
    }

    public static IEndpointRouteBuilder MapIngest(this IEndpointRouteBuilder app)
    {
        var options = app.ServiceProvider.GetRequiredService<IOptions<IngestOptions>>().Value;
        app.MapHub<IngestHub>(IngestHub.Path, hub =>
        {
            hub.ApplicationMaxBufferSize = options.MaxMessageBytes;
            hub.TransportMaxBufferSize = options.MaxMessageBytes;
        });
        app.MapIngestApi();
        app.MapProducerApiDocument();
        return app;
    }
}
