namespace ModerationConsole.Policy;

public static class PolicyRegistration
{
    public static WebApplicationBuilder AddPolicy(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<PolicyOptions>().Bind(builder.Configuration.GetSection(PolicyOptions.Section))
            .Validate(o => o.ToDocument().Validate().Count == 0, "Policy: the configured categories are invalid (run 'migrate' to see why)")
            .ValidateOnStart();
        builder.Services.AddSingleton<PolicyStore>();
        builder.Services.AddSingleton<WhatIf>();
        builder.Services.AddSingleton<PolicyChanges>();
        builder.Services.AddSingleton<BacklogRouter>();
        builder.Services.AddSingleton<RerouteJob>();
        builder.Services.AddSingleton<Jobs.IJobHandler>(services => services.GetRequiredService<RerouteJob>());
        builder.Services.AddHostedService<RerouteLeftovers>();
        return builder;
    }
}
