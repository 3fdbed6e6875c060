// The models: BERT cross-encoder (student), LLaMA/Qwen2 decoder with LM and score heads (teacher), LoRA,
// generation, tokenizer → tensor helpers, and Hugging Face folders.
export * from './bert.js';
export * from './llama.js';
export * from './lora.js';
export * from './generate.js';
export * from './inputs.js';
export * from './hf.js';
